"""`scaffold new` through its command line, as a user (or CI, with no terminal) runs it."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.cli import scaffold


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_new_with_defaults_writes_a_committed_repo_and_records_its_answers(tmp_path: Path) -> None:
    code, out, err = scaffold(tmp_path, "new", "payments", "--defaults")
    assert code == 0, err
    repo = tmp_path / "payments"
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == "bundled:go-service"
    assert answers["service_name"] == "payments"
    assert answers["module_path"] == "github.com/example/payments"
    assert answers["memory_limit"] == "512Mi"
    assert "gomemlimit" not in answers  # derived values are computed, never recorded
    assert "container memory limit 512Mi (Kubernetes, compose, Makefile); the service derives GOMEMLIMIT=460MiB" in out
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True)
    assert status.stdout == ""
    branches = subprocess.run(
        ["git", "branch", "--format=%(refname:short)"], cwd=repo, capture_output=True, text=True, check=True
    )
    assert "scaffold/pristine" in branches.stdout.split()
    log = subprocess.run(["git", "log", "--format=%B"], cwd=repo, capture_output=True, text=True, check=True).stdout
    assert "Scaffold-Template: bundled:go-service" in log
    assert "Scaffold-Template-Version: " in log


def test_data_and_answers_file_set_answers_and_data_wins(tmp_path: Path) -> None:
    answers_file = tmp_path / "answers.yml"
    answers_file.write_text("_commit: 0.0.1\nmemory_limit: 1Gi\nport: 9000\ncpu_limit: 500m\n")
    code, _out, err = scaffold(
        tmp_path,
        "new",
        "orders",
        "out/orders",
        "--answers-file",
        str(answers_file),
        "--data",
        "port=9090",
        "-d",
        "runtime_image=scratch",
        "--no-git",
    )
    assert code == 0, err
    repo = tmp_path / "out" / "orders"
    recorded = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert (recorded["memory_limit"], recorded["port"], recorded["runtime_image"], recorded["cpu_limit"]) == (
        "1Gi",
        9090,
        "scratch",
        "500m",
    )
    assert not (repo / ".git").exists()
    assert "PROD_GOMEMLIMIT := 921MiB\n" in (repo / "Makefile").read_text()


def test_pretend_lists_the_files_and_writes_nothing(tmp_path: Path) -> None:
    code, out, err = scaffold(tmp_path, "new", "svc", "--pretend")
    assert code == 0, err
    assert "Would create svc" in out
    assert "  Dockerfile" in out.splitlines()
    assert "  cmd/svc/main.go" in out.splitlines()
    assert tree(tmp_path) == []


def test_new_into_an_existing_empty_folder_fills_it(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    code, _, err = scaffold(tmp_path, "new", "svc", "--defaults")
    assert code == 0, err
    assert (tmp_path / "svc" / "go.mod").read_text().startswith("module github.com/example/svc\n")
    assert [p.name for p in tmp_path.iterdir()] == ["svc"]


def author_of_new_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gitconfig: str) -> str:
    """Run `scaffold new` for a user whose only git config is `gitconfig`; return the first commit's author."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(gitconfig)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(var, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    code, _, err = scaffold(work, "new", "svc", "--defaults")
    assert code == 0, err
    author = subprocess.run(
        ["git", "log", "-1", "--format=%an <%ae> / %cn <%ce>"],
        cwd=work / "svc",
        capture_output=True,
        text=True,
        check=True,
    )
    return author.stdout.strip()


def test_new_commits_for_a_user_with_no_git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (
        author_of_new_repo(tmp_path, monkeypatch, "") == "scaffold <scaffold@localhost> / scaffold <scaffold@localhost>"
    )


def test_new_keeps_the_users_git_name_and_fills_in_only_the_missing_email(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    author = author_of_new_repo(tmp_path, monkeypatch, "[user]\n\tname = Ada Lovelace\n\temail =\n")
    assert author == "Ada Lovelace <scaffold@localhost> / Ada Lovelace <scaffold@localhost>"


def test_new_commits_as_the_users_configured_git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    author = author_of_new_repo(tmp_path, monkeypatch, "[user]\n\temail = ada@example.org\n\tname = Ada\n")
    assert author == "Ada <ada@example.org> / Ada <ada@example.org>"


BAD_INPUTS = [
    (["new", "Bad_Name"], "service_name 'Bad_Name' is not valid; accepted: 1-63 lowercase letters"),
    (["new", "svc", "-d", "module_path=github.com//x"], "module_path 'github.com//x' is not a valid Go module path"),
    (["new", "svc", "-d", "port=80"], "port '80' is not valid; accepted: a whole number from 1024 to 65535"),
    (["new", "svc", "-d", "port=8080", "-d", "pprof_port=8080"], "pprof_port 8080 is the same as port"),
    (["new", "svc", "-d", "memory_limit=512MB"], "memory_limit '512MB' is not valid; accepted: a Kubernetes quantity"),
    (["new", "svc", "-d", "memory_limit=32Mi"], "memory_limit '32Mi' is below 64Mi"),
    (["new", "svc", "-d", "cpu_limit=two"], "cpu_limit 'two' is not valid; accepted: a Kubernetes CPU quantity"),
    (["new", "svc", "-d", "go_version=1.21"], "go_version '1.21' is not supported; accepted: 1.27, 1.26, 1.25"),
    (
        ["new", "svc", "-d", "runtime_image=ubuntu"],
        "runtime_image 'ubuntu' is not valid; accepted: distroless, scratch, alpine",
    ),
    (["new", "svc", "-d", "colour=blue"], "answer key 'colour' is not a question of this template"),
    (["new", "svc", "-d", "port"], "--data 'port' is not valid; accepted: key=value"),
    (["new", "svc", "--template", "no-such-template"], "template 'no-such-template' was not found"),
    (["new", "svc", "--answers-file", "missing.yml"], "--answers-file 'missing.yml' does not exist"),
    (["memlimit", "1GB"], "memory_limit '1GB' is not valid"),
    (["memlimit", "-5Mi"], "memory_limit '-5Mi' is not valid"),  # a value, not an option
    (["new", "inj9\n"], "service_name 'inj9\\n' contains the control character '\\n'"),
    (["new", "svc", "-d", "module_path=github.com/a/svc\n"], "module_path 'github.com/a/svc\\n' contains the control"),
    (["new", "svc", "-d", "port=abc"], "port 'abc' is not valid; accepted: a whole number from 1024 to 65535"),
    (["new", "svc", "--defaults", "true"], "DEST 'true' looks like a value for a flag, and flags take none"),
    (["new", "svc", "dest", "extra"], "Got unexpected extra argument(s) (extra); see `scaffold new --help`"),
    (["new", "svc", "--bogus"], "No such option: --bogus; see `scaffold new --help`"),
    (["new", "svc", "--answers-file", "."], "--answers-file '.' is a folder; accepted: a YAML answers file"),
    (["new", "svc", "-d", "memory_limit=9Ei"], "memory_limit '9Ei' is above 8Ei"),
    (["new", ""], "NAME '' is empty; accepted: the new service's name"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS, ids=[" ".join(a[1:]) for a, _ in BAD_INPUTS])
def test_bad_input_gets_one_line_naming_the_value_exit_2_and_nothing_written(
    tmp_path: Path, args: list[str], message: str
) -> None:
    code, _out, err = scaffold(tmp_path, *args)
    assert code == 2
    assert err.startswith("error: ")
    assert message in err
    assert err.count("\n") == 1
    assert tree(tmp_path) == []


def test_a_non_empty_destination_is_refused_and_left_untouched(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "notes.txt").write_text("mine")
    code, _, err = scaffold(tmp_path, "new", "svc", "--defaults")
    assert code == 2
    assert err == "error: destination 'svc' exists and is not empty; accepted: a new or empty folder\n"
    assert tree(tmp_path) == ["svc", "svc/notes.txt"]
    assert (tmp_path / "svc" / "notes.txt").read_text() == "mine"


def test_a_failed_render_leaves_no_folders_behind(tmp_path: Path) -> None:
    template = tmp_path / "broken-template"
    template.mkdir()
    (template / "copier.yml").write_text("service_name:\n  type: str\n")
    (template / "README.md.jinja").write_text("{{ service_name | no_such_filter }}\n")
    work = tmp_path / "work"
    work.mkdir()
    code, _, err = scaffold(work, "new", "svc", "deep/er/svc", "--template", str(template))
    assert code == 2
    assert "could not be rendered" in err
    assert tree(work) == []


def test_memlimit_prints_the_derived_value(tmp_path: Path) -> None:
    assert scaffold(tmp_path, "memlimit", "512Mi")[:2] == (0, "460MiB\n")
    assert scaffold(tmp_path, "memlimit", "128Mi")[:2] == (0, "96MiB\n")


def test_help_lists_the_commands(tmp_path: Path) -> None:
    code, out, _ = scaffold(tmp_path, "--help")
    assert code == 0
    assert "new" in out and "memlimit" in out and "update" in out


def test_new_fills_the_current_folder_when_it_is_empty(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    code, out, err = scaffold(tmp_path / "x", "new", "x", ".", "--defaults")
    assert code == 0, out + err
    assert (tmp_path / "x" / "go.mod").read_text().startswith("module github.com/example/x\n")
    assert not [p.name for p in (tmp_path / "x").iterdir() if "scaffold-" in p.name]
    status = subprocess.run(["git", "status", "--porcelain"], cwd=tmp_path / "x", capture_output=True, text=True)
    assert status.returncode == 0 and status.stdout == ""  # the repo moved in whole, committed


def test_a_template_path_that_is_a_file_is_named_as_a_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a template\n")
    code, _, err = scaffold(tmp_path, "new", "svc", "--template", "./afile", "--defaults")
    assert code == 2
    assert err == (
        "error: template './afile' is a file, not a template folder; accepted: a folder with a copier.yml, "
        "a bundled name or a git URL\n"
    )
    assert tree(tmp_path) == ["afile"]


@pytest.fixture
def other_device(tmp_path: Path) -> Iterator[Path]:
    """An empty folder on another file system than the system's temporary folder: a tmpfs mount point, as root."""
    mount = tmp_path / "mnt"
    mount.mkdir()
    mounted = (
        os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "none", str(mount)], check=False).returncode == 0
    )
    if not mounted:
        shm = Path("/dev/shm")
        if not shm.is_dir() or shm.stat().st_dev == Path(tempfile.gettempdir()).stat().st_dev:
            pytest.skip("no other file system to write to: needs root (a tmpfs mount) or /dev/shm")
        mount.rmdir()
        mount = Path(tempfile.mkdtemp(dir=shm))
    try:
        assert mount.stat().st_dev != Path(tempfile.gettempdir()).stat().st_dev
        yield mount
    finally:
        if mounted:
            subprocess.run(["umount", str(mount)], check=True)
        else:
            shutil.rmtree(mount, ignore_errors=True)


def test_new_fills_an_empty_mount_point(tmp_path: Path, other_device: Path) -> None:
    code, out, err = scaffold(tmp_path, "new", "svc", str(other_device), "--defaults")
    assert code == 0, out + err
    assert (other_device / "go.mod").read_text().startswith("module github.com/example/svc\n")
    status = subprocess.run(["git", "status", "--porcelain"], cwd=other_device, capture_output=True, text=True)
    assert status.returncode == 0 and status.stdout == ""
    log = subprocess.run(["git", "log", "--format=%s"], cwd=other_device, capture_output=True, text=True)
    assert log.stdout.startswith("Create ")


def test_new_makes_a_folder_on_another_file_system_than_the_staging_one(tmp_path: Path, other_device: Path) -> None:
    dest = other_device / "deep" / "svc"
    code, out, err = scaffold(tmp_path, "new", "svc", str(dest), "--defaults")
    assert code == 0, out + err
    assert (dest / "go.mod").is_file()
    assert sorted(p.name for p in other_device.iterdir()) == ["deep"]
    assert subprocess.run(["git", "status", "--porcelain"], cwd=dest, capture_output=True, text=True).stdout == ""
