"""`--plan` predicts exactly what `update` then does, whatever the team did to the repo.

A seeded random generator (each case reproducible from its number) makes repos with random edits:
files renamed (also to the very name the template renames them to), deleted, made executable, edited
on the lines the template changes or elsewhere, a submodule where the template adds a file; and picks
`--conflict` and `--restore-deleted` at random. For each, the plan is compared with the update's summary.
"""

import random
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.merge import as_planned
from generator.sources import TemplateSource
from generator.update import UpdateRequest, update
from tests.conftest import RenderRepo
from tests.template_versions import (
    append,
    commit_all,
    git,
    insert_before,
    is_merging,
    repo_state,
    template_file,
)

CASES = 30
CANDIDATES = ["Dockerfile", ".dockerignore", "compose.yaml", "README.md", ".editorconfig", "Makefile"]
TEMPLATE_LABEL = 'LABEL org.opencontainers.image.vendor="{{ service_name }}"\n'


def next_release(template: Path) -> None:
    """The template's next release: an edited Dockerfile, a rename, a removal, a new file, a changed Makefile."""
    insert_before(template_file(template, "Dockerfile.jinja"), r"^ENTRYPOINT", TEMPLATE_LABEL)
    template_file(template, ".dockerignore").rename(template_file(template, ".containerignore"))
    template_file(template, "compose.yaml.jinja").unlink()
    (template_file(template, "docs")).mkdir()
    template_file(template, "docs/RUNBOOK.md").write_text("# Runbook\n")
    append(template_file(template, "Makefile.jinja"), "\n# Changed by the template.\n")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TemplateSource]:
    from generator.new import NewRequest, create
    from generator.sources import resolve
    from tests.template_versions import as_version, later_version, template_copy

    root = tmp_path_factory.mktemp("plan-property")
    repo = root / "my-service"
    create(NewRequest(name="my-service", dest=repo, source=resolve(None)))
    template = template_copy(root, "next")
    next_release(template)
    return repo, as_version(template, later_version())


def _rename(repo: Path, rng: random.Random) -> None:
    source = rng.choice([c for c in CANDIDATES if (repo / c).exists()])
    target = rng.choice([f"renamed/{source.strip('.')}", ".containerignore", f"{source}.old"])
    if (repo / target).exists():
        return
    (repo / target).parent.mkdir(parents=True, exist_ok=True)
    git(repo, "mv", source, target)


def _delete(repo: Path, rng: random.Random) -> None:
    present = [c for c in CANDIDATES if (repo / c).exists()]
    if present:
        git(repo, "rm", "-q", "-f", rng.choice(present))


def _chmod(repo: Path, rng: random.Random) -> None:
    present = [c for c in CANDIDATES if (repo / c).is_file()]
    if present:
        (repo / rng.choice(present)).chmod(0o755)


def _edit(repo: Path, rng: random.Random) -> None:
    present = [c for c in CANDIDATES if (repo / c).is_file()]
    if not present:
        return
    path = repo / rng.choice(present)
    if path.name == "Dockerfile" and rng.random() < 0.5:  # the lines the template changes too
        insert_before(path, r"^ENTRYPOINT", 'LABEL team="payments"\n')
    else:
        append(path, f"\n# Team note {rng.randrange(1000)}.\n")


def _submodule(repo: Path, rng: random.Random) -> None:
    where = rng.choice(["docs/RUNBOOK.md", "docs", "vendor/lib"])
    if (repo / where).exists():
        return
    head = git(repo, "rev-parse", "HEAD").strip()
    subprocess.run(  # may be refused where the index has a file or folder in the way: then no submodule
        ["git", "update-index", "--add", "--cacheinfo", f"160000,{head},{where}"], cwd=repo, capture_output=True
    )


EDITS: list[Callable[[Path, random.Random], None]] = [_rename, _delete, _chmod, _edit, _submodule]


def user_edits(repo: Path, rng: random.Random) -> list[str]:
    done = []
    for _ in range(rng.randint(1, 4)):
        edit = rng.choice(EDITS)
        edit(repo, rng)
        done.append(edit.__name__)
    git(repo, "add", "--all")
    if git(repo, "status", "--porcelain"):
        commit_all(repo, "The team's edits")
    return done


def same_diff(predicted: str, made: str) -> bool:
    """Whether two diffs agree, but for the label of the template's side of conflict markers (a commit id in
    the preview, the branch name in the repo) and so the blob ids of files holding them."""
    label = re.sub(r"(?m)^\+>>>>>>> [0-9a-f]{40}$", "+>>>>>>> scaffold/pristine", predicted)
    blobs = re.compile(r"(?m)^index [0-9a-f]+\.\.[0-9a-f]+")
    return blobs.sub("index", label) == blobs.sub("index", made)


def lines(files: list[object]) -> list[tuple[str, str, str]]:
    return [(f.path, f.status, f.note) for f in files]  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", range(CASES))
def test_the_plan_predicts_the_update_for_random_user_edits(
    tmp_path: Path, prepared: tuple[Path, TemplateSource], case: int
) -> None:
    original, source = prepared
    repo = tmp_path / "my-service"
    shutil.copytree(original, repo, symlinks=True)
    rng = random.Random(case)
    edits = user_edits(repo, rng)
    options = {"conflict": rng.choice(["inline", "rej"]), "restore_deleted": rng.random() < 0.4}
    state = repo_state(repo)

    plan = update(UpdateRequest(repo=repo, source=source, plan=True, **options))  # type: ignore[arg-type]
    preview = update(UpdateRequest(repo=repo, source=source, diff=True, **options))  # type: ignore[arg-type]
    assert repo_state(repo) == state
    done = update(UpdateRequest(repo=repo, source=source, **options))  # type: ignore[arg-type]

    where = f"case {case}: edits {edits}, options {options}"
    assert lines(plan.files) == lines([as_planned(f) for f in done.files]), where
    assert plan.up_to_date == done.up_to_date, where
    assert bool(plan.conflicts) == is_merging(repo), where
    made = ["HEAD"] if done.conflicts else ["HEAD^1", "HEAD"]  # the merge in progress, or the merge commit
    diff = git(repo, "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--find-renames", *made)
    assert same_diff(preview.diff or "", diff), where
    if not done.conflicts:
        listed = {f.path for f in done.files}
        changed = subprocess.run(
            ["git", "diff", "--name-only", "--no-renames", "HEAD^1", "HEAD"], cwd=repo,
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        assert set(changed) <= listed | {f.note.removeprefix("from ").split(";")[0] for f in done.files}, where


def test_a_file_the_team_renamed_is_never_offered_for_restore_deleted(
    render_repo: RenderRepo, new_version: Callable[..., TemplateSource]
) -> None:
    repo = render_repo("my-service")
    git(repo, "mv", "Dockerfile", "Containerfile")
    commit_all(repo, "We call it Containerfile")
    source = new_version(lambda t: insert_before(template_file(t, "Dockerfile.jinja"), r"^ENTRYPOINT", TEMPLATE_LABEL))

    plan = update(UpdateRequest(repo=repo, source=source, plan=True))
    done = update(UpdateRequest(repo=repo, source=source))

    assert "Dockerfile" not in {f.path for f in plan.files}
    assert all("--restore-deleted" not in f.note for f in plan.files + done.files)
    assert not (repo / "Dockerfile").exists()
    assert 'vendor="my-service"' in (repo / "Containerfile").read_text()  # the template's change followed the rename
    restored = update(UpdateRequest(repo=repo, source=source, restore_deleted=True))
    assert restored.up_to_date and not (repo / "Dockerfile").exists()
