"""The generated image: its size against the stripped binary inside it, and a cold build against a rebuild.

The repo's Dockerfile is built with podman as it is but for its FROM lines, whose digests are dropped: they
then name local stand-ins of the base images by tag, since a stand-in cannot have the registry image's digest
(see tests/e2e/podman_sandbox.py). The build runs in a podman store of its own, so the first build starts
with no layer and no Go build cache at all. The distroless stand-in holds only what the service needs from the real base
(passwd, CA bundle, /tmp); the real gcr.io/distroless/static also carries tzdata and package metadata, so
a real distroless image is larger by that difference. A scratch image has no base: its figure holds as is.
"""

from __future__ import annotations

import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from podman_sandbox import Podman, ensure_standins

from generator.new import NewRequest, create
from generator.sources import resolve

NAME = "my-service"


@dataclass(frozen=True)
class ImageFigures:
    """What the image benchmark measured, in bytes and seconds."""

    image_bytes: dict[str, int]
    """Per runtime base (distroless, scratch): the final image's size."""
    binary_bytes: dict[str, int]
    """Per runtime base: the stripped service binary in the image (scratch's embeds tzdata)."""
    base_bytes: int
    """The distroless stand-in base image."""
    cold_build_s: float
    unchanged_rebuild_s: float
    edited_rebuild_s: list[float]

    @property
    def edited_rebuild_median_s(self) -> float:
        return statistics.median(self.edited_rebuild_s)


def render(dest: Path, **answers: str) -> Path:
    create(NewRequest(name=NAME, dest=dest, source=resolve(None), given=dict(answers), git_init=False))
    return dest


def binary_size(podman: Podman, image: str, work: Path) -> int:
    """The size of the service binary inside `image`, copied out of a container that never runs."""
    work.mkdir(parents=True, exist_ok=True)
    container = podman("create", image).stdout.strip()
    try:
        podman("cp", f"{container}:/{NAME}", str(work / NAME))
    finally:
        podman.remove_container(container)
    return (work / NAME).stat().st_size


def measure(podman: Podman, goroot: Path, rebuilds: int) -> ImageFigures:
    """Build the default repo cold, rebuild it unchanged and after one-line .go edits; size both runtime bases."""
    with tempfile.TemporaryDirectory(prefix="scaffold-bench-image-") as work:
        root = Path(work)
        repo = render(root / "distroless")
        bases = ensure_standins(podman, (repo / "Dockerfile").read_text(), goroot)
        image = "localhost/scaffold-bench/distroless:latest"
        cold = podman.build(repo, image)
        unchanged = podman.build(repo, image)
        main_go = repo / "cmd" / NAME / "main.go"
        edited = []
        for edit in range(rebuilds):
            main_go.write_text(main_go.read_text() + f"\n// benchmark edit {edit}\n")
            edited.append(podman.build(repo, image))
        binaries = {"distroless": binary_size(podman, image, root / "bin-distroless")}
        sizes = {"distroless": podman.image_size(image)}
        base = podman.image_size(bases[-1])

        scratch_repo = render(root / "scratch", runtime_image="scratch")
        ensure_standins(podman, (scratch_repo / "Dockerfile").read_text(), goroot)
        scratch_image = "localhost/scaffold-bench/scratch:latest"
        podman.build(scratch_repo, scratch_image)
        sizes["scratch"] = podman.image_size(scratch_image)
        binaries["scratch"] = binary_size(podman, scratch_image, root / "bin-scratch")
        for name in (image, scratch_image):
            podman.remove_image(name)
    return ImageFigures(sizes, binaries, base, cold, unchanged, edited)
