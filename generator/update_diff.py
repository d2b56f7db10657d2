"""`scaffold update --diff`: the content an update would change, as a unified diff, with nothing written.

update_plan runs the update's merge with `git merge-tree` on the same three sides and applies the
update's own rules (a file you deleted stays deleted, the answers file is the render's, `--conflict
rej` keeps your lines without markers), with every new git object sent to a scratch store
(pristine.scratch_objects): the work tree, the index, the refs and the repo's objects stay as they
were. The diff from HEAD to the tree of the files it would leave is what the update would commit; a
file left in conflict with `--conflict inline` shows its markers.
"""

from collections.abc import Iterable, Mapping
from pathlib import Path

from generator import gitrepo

_PLAIN_DIFF = ("--no-color", "--no-ext-diff", "--no-textconv", "--find-renames")
"""No colour, and none of the repo's diff drivers or text conversions (they would run commands)."""


def content_diff(
    repo: Path, tree: str, scratch: Mapping[str, str], hidden: Iterable[str] = (), head: str = "HEAD"
) -> str:
    """Return the unified diff from `head` to `tree`, the files an update would leave (update_plan), in `scratch`.

    The files in `hidden` (those holding a secret answer) are named, their changes not shown: the
    old value and the new one would both be in the hunk. `head` is HEAD, or the commit the merge is
    made from (HEAD's files, secrets as placeholders: secret_merge), which the hidden files are compared with.
    """
    hidden = sorted(hidden)
    excluded = [f":(exclude,literal){path}" for path in hidden]
    shown = gitrepo.git(repo, "diff", *_PLAIN_DIFF, head, tree, "--", ".", *excluded, env=scratch).stdout
    if not hidden:
        return shown
    literal = [f":(literal){path}" for path in hidden]
    changed = gitrepo.git(repo, "diff", "--name-only", head, tree, "--", *literal, env=scratch).stdout.split()
    return shown + "".join(f"{path}: holds a secret answer; its changes are not shown\n" for path in changed)
