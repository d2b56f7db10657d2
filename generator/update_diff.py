"""`scaffold update --diff`: the content an update would change, as a unified diff, with nothing written.

The update's merge is run by `git merge-tree` on the same three sides (the repo's HEAD, the pristine
render it contains, and the fresh render committed on top of that one), with every new git object
sent to a scratch store (pristine.scratch_objects): the work tree, the index, the refs and the repo's
objects stay as they were. The diff from HEAD to the merged tree is what the update would commit; a
file that would conflict shows its conflict markers, as `--conflict inline` leaves them.
"""

from collections.abc import Iterable, Mapping
from pathlib import Path

from generator import gitrepo
from generator.errors import GitError

_PLAIN_DIFF = ("--no-color", "--no-ext-diff", "--no-textconv", "--find-renames")
"""No colour, and none of the repo's diff drivers or text conversions (they would run commands)."""


def content_diff(
    repo: Path,
    theirs: str,
    answers_file: str,
    left_alone: Iterable[str],
    scratch: Mapping[str, str],
    head: str = "HEAD",
) -> str:
    """Return the unified diff from HEAD to what merging the pristine commit `theirs` into `repo` would leave.

    `theirs` is the fresh render committed on the merge base (in `scratch`). The answers file is the
    render's, as the update writes it; `left_alone` are files the update would not touch (those the
    user deleted stay deleted). `head` is the commit git merges into: HEAD, or the commit with HEAD's
    files that holds the merge base when HEAD's history lacks it (update._head_holding).
    """
    merge = gitrepo.git(repo, "merge-tree", "--write-tree", "--no-messages", head, theirs, env=scratch, check=False)
    if merge.returncode not in (0, 1):  # 1: the merge has conflicts, and the tree holds their markers
        raise GitError(f"git merge-tree failed in {repo}: {merge.stderr.strip() or 'no output'}")
    merged = merge.stdout.split("\n", 1)[0].strip()
    excluded = [f":(exclude,literal){path}" for path in (answers_file, *left_alone)]
    files = gitrepo.git(repo, "diff", *_PLAIN_DIFF, "HEAD", merged, "--", ".", *excluded, env=scratch).stdout
    answers = gitrepo.git(
        repo, "diff", *_PLAIN_DIFF, "HEAD", theirs, "--", f":(literal){answers_file}", env=scratch
    ).stdout
    return files + answers
