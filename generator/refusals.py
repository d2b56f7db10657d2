"""The states of a repo `scaffold update` will not start from; each check raises RefusedError, writing nothing.

An update merges, so it needs what a merge needs: a branch checked out, no other git operation half
done, nothing uncommitted, no lock left by another git. It also needs to know the template version
the branch really contains and that nothing the user keeps outside git is where it would write.
"""

from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from generator import gitrepo, update_journal
from generator.errors import RefusedError
from generator.merge_base import NEWEST, MergeBase
from generator.pristine import (
    PRISTINE_BRANCH,
    VERSION_TRAILER,
    PristineCommit,
    branch_for,
    branch_tip,
    pristine_history,
)
from generator.rerender import Recorded, same_template, version_key
from generator.sources import BUNDLED_PREFIX
from generator.trust import bounded_yaml

# The files git keeps while an operation waits for the user, with how to finish or abort it.
_IN_PROGRESS = (
    ("rebase-merge", "a rebase", "git rebase --continue", "git rebase --abort"),
    ("rebase-apply/applying", "a `git am`", "git am --continue", "git am --abort"),
    ("rebase-apply", "a rebase", "git rebase --continue", "git rebase --abort"),
    ("CHERRY_PICK_HEAD", "a cherry-pick", "git cherry-pick --continue", "git cherry-pick --abort"),
    ("REVERT_HEAD", "a revert", "git revert --continue", "git revert --abort"),
    ("sequencer", "a cherry-pick or revert", "git cherry-pick --continue", "git cherry-pick --abort"),
    ("BISECT_START", "a bisect", "git bisect good/bad", "git bisect reset"),
    ("MERGE_HEAD", "a merge", "resolve the conflicts and `git commit`", "git merge --abort"),
)


def refuse_unless_repo(repo: Path) -> None:
    """Raise RefusedError unless `repo` is the top folder of a git repository."""
    if not repo.is_dir():
        raise RefusedError(f"{repo} is not a folder; accepted: the folder of a repo made by scaffold new")
    if not gitrepo.is_repo(repo):
        raise RefusedError(
            f"{repo} is not a git repository (or not its top folder), and scaffold update merges with git; "
            "accepted: the top folder of a repo made by scaffold new"
        )


def refuse_unless_ready(repo: Path) -> None:
    """Raise RefusedError unless `repo` is the clean top of a git repo, on a branch, with no git operation going on.

    An interrupted update's leftovers are cleaned up first (update_journal.recover): callers hold the
    repo's update lock (repo_lock), so that a running update's journal is never taken for a dead one's.
    """
    refuse_unless_repo(repo)
    if gitrepo.git(repo, "rev-parse", "--verify", "--quiet", "HEAD", check=False).returncode != 0:
        raise RefusedError(f"{repo} has no commits yet; accepted: a repo made by scaffold new")
    names = ["index.lock", *(name for name, *_ in _IN_PROGRESS)]
    paths = _git_paths(repo, names)
    if paths["index.lock"].exists():
        raise RefusedError(
            f"{paths['index.lock']} exists: another git command is running in {repo}, or one was killed; "
            "if none is running, delete that file, then update again"
        )
    update_journal.recover(repo)
    if paths["MERGE_HEAD"].exists():
        _refuse_interrupted_render_merge(repo)
    for name, what, finish, abort in _IN_PROGRESS:
        if paths[name].exists():
            raise RefusedError(
                f"{what} is in progress in {repo}; finish it ({finish}) or abort it ({abort}), then update again"
            )
    dirty = [line[3:] for line in gitrepo.git(repo, "status", "--porcelain", "-uall").stdout.splitlines() if line]
    if dirty:
        more = f" and {len(dirty) - 1} more" if len(dirty) > 1 else ""
        raise RefusedError(
            f"{repo} has uncommitted changes ({dirty[0]}{more}); commit or stash them, then update again"
        )
    branch = gitrepo.git(repo, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).stdout.strip()
    if not branch:
        raise RefusedError(
            f"{repo} has a detached HEAD, and an update commits a merge on a branch; "
            f"accepted: a branch checked out (git switch {_own_branch(repo)})"
        )
    if branch == PRISTINE_BRANCH:
        raise RefusedError(
            f"{repo} has {PRISTINE_BRANCH} checked out; accepted: your own branch (git switch {_own_branch(repo)})"
        )


def _own_branch(repo: Path) -> str:
    """A branch of the repo's own to name in a refusal: `main` if it has one, else its first other than scaffold's."""
    out = gitrepo.git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/", check=False).stdout
    own = [name for name in out.splitlines() if name and not name.startswith("scaffold/")]
    return "main" if "main" in own or not own else own[0]


def _refuse_interrupted_render_merge(repo: Path) -> None:
    """Refuse, saying how to undo it, a merge of an unrelated pristine render: `apply` or `adopt` killed mid-merge.

    Committing that merge by hand would keep what the command had still to write (the secret answers'
    placeholders, the answers file missing), so the usual "finish it or abort it" is not said here.
    """
    shown = gitrepo.git(repo, "log", "-1", "--format=%P%x00%B", "MERGE_HEAD", check=False).stdout
    parents, _, message = shown.partition("\0")
    if parents.strip() or f"\n{VERSION_TRAILER}: " not in f"\n{message}":
        return
    if gitrepo.git(repo, "merge-base", "--is-ancestor", "MERGE_HEAD", "HEAD", check=False).returncode == 0:
        return  # the repo's own first render (scaffold new's): not one apply or adopt brings in
    listed = gitrepo.git(
        repo, "for-each-ref", "--points-at", "MERGE_HEAD", "--format=%(refname:short)", "refs/heads/scaffold/"
    ).stdout.split()
    undo = " && ".join(["git merge --abort", *(f"git branch -D {branch}" for branch in listed)])
    raise RefusedError(
        f"an interrupted scaffold apply or adopt left its merge in progress in {repo}; undo it with `{undo}` "
        "(a commit of it would miss what that command had still to write), then run it again"
    )


def _git_paths(repo: Path, names: list[str]) -> dict[str, Path]:
    # one call per name: git prints each path unquoted on a line of its own, so the output of several could not
    # be split back where the repo's path holds a line break
    paths = {}
    for name in names:
        out = gitrepo.git(repo, "rev-parse", "--path-format=absolute", "--git-path", name).stdout
        paths[name] = Path(out.removesuffix("\n"))
    return paths


def usable_history(repo: Path, recorded: Recorded) -> list[PristineCommit]:
    """Return HEAD's pristine history of the recorded template; refuse when there is none or `_commit` is missing."""
    history = pristine_history(repo, answers_file=recorded.answers_file)
    if not history:
        raise RefusedError(
            f"{repo} has no pristine render in its history (the commit scaffold new makes, with a "
            "Scaffold-Template-Version trailer), so there is nothing to merge from; accepted: a repo made by "
            "scaffold new with git, cloned with its full history, or one made by copier copy or by hand once "
            "`scaffold adopt` has recorded its pristine render"
        )
    if recorded.version is None:
        known = ", ".join(dict.fromkeys(p.version for p in history))
        raise RefusedError(
            f"{recorded.answers_file} in {repo} has no _commit, so the template version the repo is on is unknown; "
            f"accepted: one of the versions its history holds ({known}); restore it with `git checkout`"
        )
    return history


def refuse_unknown_base(
    repo: Path, recorded: Recorded, history: list[PristineCommit], base: MergeBase, *, moving: bool = False
) -> None:
    """Refuse when the answers file contradicts the merge base found for it (see merge_base).

    `_commit` must be a release of the template: one whose pristine render was found or rendered again,
    one in the history, or (a git template, which `copier update` may have moved on) any version.
    `_src_path` must be the template of the history, unless the repo is `moving` to another template
    on the user's explicit request.
    """
    name = recorded.answers_file
    known = ", ".join(dict.fromkeys(p.version for p in history))
    bundled = recorded.src.startswith(BUNDLED_PREFIX)
    unknown = recorded.version not in {p.version for p in history}
    if base.found == NEWEST and unknown and (bundled or version_key(recorded.version) is None):
        raise RefusedError(
            f"_commit {recorded.version!r} in {name} of {repo} is not a version of template {recorded.src}; "
            f"accepted: one of the versions its history holds ({known})"
        )
    if not moving and not same_template(recorded.src, base.commit.template):
        raise RefusedError(
            f"_src_path {recorded.src} in {name} of {repo} is not the template its history was rendered from "
            f"({base.commit.template}); accepted: {base.commit.template}, "
            "or move the repo with scaffold update --template SRC"
        )


def refuse_other_template(repo: Path, recorded: Recorded, history: list[PristineCommit]) -> None:
    """Refuse when `_src_path` names another template than the ones the repo's pristine renders came from.

    `update` and `check` both call this before fetching or rendering anything: an edited `_src_path`
    (a pull request's, say) must not make scaffold, or CI, fetch and render a template the repo never
    used. Templates are compared by identity (trust.identity): scheme, host, port and path for git.
    A repo without pristine history has nothing to compare with. The local pristine branch counts too:
    a squash-merged `update --template` leaves only it holding the new template's render.
    """
    if not history or any(same_template(recorded.src, p.template) for p in history):
        return
    branch = branch_for(repo, recorded.answers_file)
    if branch_tip(repo, branch) is not None:
        elsewhere = pristine_history(repo, f"refs/heads/{branch}", answers_file=recorded.answers_file)
        if any(same_template(recorded.src, p.template) for p in elsewhere):
            return
    raise RefusedError(
        f"_src_path {recorded.src} in {recorded.answers_file} of {repo} is not the template its history was "
        f"rendered from ({history[0].template}); accepted: {history[0].template}, or move the repo with scaffold "
        "update --template SRC"
    )


def refuse_missing_answers(
    repo: Path, recorded: Recorded, base: PristineCommit, given: Iterable[str], env: Mapping[str, str] | None = None
) -> None:
    """Refuse when the answers file lacks answers the repo's pristine render had (a default would replace them)."""
    content = gitrepo.read_objects(repo, [f"{base.sha}:{recorded.answers_file}"], env)[0]
    try:
        before = bounded_yaml.load(content or b"", f"{recorded.answers_file} of {base.sha[:12]}") or {}
    except yaml.YAMLError:
        return
    missing = sorted(
        str(k)
        for k in (before if isinstance(before, dict) else {})
        if not str(k).startswith("_") and k not in recorded.answers and k not in set(given)
    )
    if missing:
        raise RefusedError(
            f"{recorded.answers_file} in {repo} lacks the answer(s) {', '.join(missing)} it was rendered with; "
            f"accepted: restore them (git checkout {base.sha[:12]} -- {recorded.answers_file} has them), "
            f"or give them with --data {missing[0]}=VALUE"
        )


def refuse_overwriting_untracked(repo: Path, written: Iterable[str]) -> None:
    """Refuse when a file git does not track (an ignored one) is where the update would write `written`."""
    tracked = set(gitrepo.git(repo, "ls-files", "-z").stdout.split("\0"))
    tracked_dirs = {path.rsplit("/", depth)[0] for path in tracked for depth in range(1, path.count("/") + 1)}
    in_the_way: list[str] = []
    for path in sorted(written):
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            target = repo / prefix
            occupied = target.is_symlink() or target.exists()
            if not occupied or prefix in tracked:
                continue
            if depth == len(parts) or not target.is_dir():
                if prefix not in tracked_dirs:
                    in_the_way.append(prefix)
                break
    if in_the_way:
        raise RefusedError(
            f"{repo} has files git does not track (ignored) where the update would write: "
            f"{first_few(in_the_way)}; move them out of the way (or commit them), then update again"
        )


def first_few(paths: Iterable[str]) -> str:
    """Return the first three of `paths` (duplicates dropped) for a one-line message, and how many more there are."""
    found = list(dict.fromkeys(paths))
    return ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
