"""Secret answers reach git only on the user's own branch: every pristine render holds placeholders.

`scaffold/pristine`, its reflog, the second parent of each update's merge and what a rolled-back update
leaves behind hold no byte of a secret; the user's branch holds the real values, updates merge lines
holding a secret as any other, and `check` says up to date. Real git repos, real templates.
"""

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path

from generator import update_journal
from generator.secret_answers import captured, current_values, fill, filled_file, hide, placeholder
from generator.secret_merge import SecretMerge, hidden_head
from generator.snapshots import of_commit
from generator.update_journal import Journal
from tests.cli import scaffold
from tests.hostile_templates import git_template
from tests.template_repos import copier_yml, git
from tests.template_versions import GIT_IDENTITY
from tests.test_secrets import NEW_SECRET, PLACEHOLDER, SECRET, objects_holding, secret_template
from tests.test_update_rollback import WRAPPER

SCAFFOLD = str(Path(sys.executable).parent / "scaffold")


def release(template: Path, tag: str, files: dict[str, str]) -> None:
    """Write `files` into the git template, commit and tag the release `tag`."""
    for name, text in files.items():
        (template / name).write_text(text)
    git(template, "add", "-A")
    git(template, "commit", "-qm", f"Release {tag}")
    git(template, "tag", tag)


def new_repo(tmp_path: Path, template: Path, secret: str = SECRET, name: str = "svc") -> Path:
    code, out, err = scaffold(
        tmp_path, "new", name, "--template", str(template), "--defaults", "-d", f"api_token={secret}"
    )
    assert code == 0, out + err
    assert secret not in out + err
    return tmp_path / name


def reachable_holding(repo: Path, text: str, *revs: str) -> set[str]:
    """Return the objects reachable from `revs` (default: every ref and every reflog entry) that hold `text`."""
    listing = git(repo, "rev-list", "--objects", *(revs or ("--all", "--reflog")))
    found = set()
    for line in filter(None, listing.split("\n")):
        sha = line.split()[0]
        kind = git(repo, "cat-file", "-t", sha).strip()
        content = subprocess.run(["git", "cat-file", kind, sha], cwd=repo, capture_output=True, check=True).stdout
        if text.encode() in content:
            found.add(sha)
    return found


def pristine_refs(repo: Path) -> list[str]:
    """The pristine branch and every commit its reflog remembers."""
    reflog = git(repo, "reflog", "show", "--format=%H", "scaffold/pristine").split()
    return ["scaffold/pristine", *reflog]


def check_says_up_to_date(repo: Path) -> None:
    code, out, err = scaffold(repo, "check")
    assert code == 0, out + err
    assert "up to date" in out and SECRET not in out + err


def test_new_keeps_the_secret_on_the_users_first_commit_and_placeholders_on_the_pristine_branch(
    tmp_path: Path,
) -> None:
    repo = new_repo(tmp_path, git_template(secret_template(tmp_path / "tpl")))

    assert (repo / "config.env").read_text() == f"TOKEN={SECRET}\n"
    assert git(repo, "show", "scaffold/pristine:config.env") == f"TOKEN={PLACEHOLDER}\n"
    assert git(repo, "rev-parse", "HEAD^") == git(repo, "rev-parse", "scaffold/pristine")  # filled in on top
    user_blob = git(repo, "rev-parse", "HEAD:config.env").strip()
    assert objects_holding(repo, SECRET) == {user_blob: "blob"}  # every object in the store, reachable or not
    assert reachable_holding(repo, SECRET) == {user_blob}
    assert reachable_holding(repo, SECRET, *pristine_refs(repo)) == set()
    assert SECRET not in git(repo, "log", "-p", "scaffold/pristine") + git(repo, "reflog", "--all")
    check_says_up_to_date(repo)


def test_an_update_merges_a_change_next_to_a_secret_line_and_its_merge_parent_holds_no_secret(tmp_path: Path) -> None:
    template = git_template(secret_template(tmp_path / "tpl"))
    repo = new_repo(tmp_path, template)
    release(template, "v1.1.0", {"config.env.jinja": "TOKEN={{ api_token }}\nMODE=second\n"})

    code, out, err = scaffold(repo, "update", "-d", f"api_token={SECRET}")

    assert code == 0, out + err
    assert SECRET not in out + err
    assert (repo / "config.env").read_text() == f"TOKEN={SECRET}\nMODE=second\n"  # no conflict on the adjacent line
    assert git(repo, "rev-parse", "HEAD^2") == git(repo, "rev-parse", "scaffold/pristine")
    assert git(repo, "show", "HEAD^2:config.env") == f"TOKEN={PLACEHOLDER}\nMODE=second\n"
    users = {git(repo, "rev-parse", f"{rev}:config.env").strip() for rev in ("HEAD", "HEAD^1")}
    assert reachable_holding(repo, SECRET) == users
    assert reachable_holding(repo, SECRET, *pristine_refs(repo)) == set()
    assert SECRET not in git(repo, "log", "-p", "scaffold/pristine") + git(repo, "log", "--all", "--format=%B")
    check_says_up_to_date(repo)


def test_a_line_edited_next_to_a_secret_conflicts_as_any_edit_and_the_conflict_shows_the_real_value(
    tmp_path: Path,
) -> None:
    template = git_template(secret_template(tmp_path / "tpl"))
    repos = [new_repo(tmp_path, template, name=f"svc-{style}") for style in ("inline", "rej")]
    for repo in repos:
        (repo / "config.env").write_text(f"TOKEN={SECRET}  # ours\n")
        git(repo, "commit", "-qam", "Comment the token")
    release(template, "v1.1.0", {"config.env.jinja": "API_TOKEN={{ api_token }}\n"})

    code, _, err = scaffold(repos[0], "update")  # the edit hides the value: it is not taken for one
    assert code == 2 and "--data api_token=VALUE" in err
    inline = scaffold(repos[0], "update", "-d", f"api_token={SECRET}")
    rej = scaffold(repos[1], "update", "--conflict", "rej", "-d", f"api_token={SECRET}")

    assert inline[0] == 1 and rej[0] == 1, (inline, rej)
    assert (repos[0] / "config.env").read_text() == (
        f"<<<<<<< HEAD\nTOKEN={SECRET}  # ours\n=======\nAPI_TOKEN={SECRET}\n>>>>>>> scaffold/pristine\n"
    )
    assert (repos[1] / "config.env").read_text() == f"TOKEN={SECRET}  # ours\n"
    assert f"+API_TOKEN={SECRET}\n" in (repos[1] / "config.env.rej").read_text()
    for repo in repos:
        assert PLACEHOLDER not in (repo / "config.env").read_text()
        assert reachable_holding(repo, SECRET, *pristine_refs(repo)) == set()


def test_a_rolled_back_update_leaves_no_new_secret_in_any_reachable_or_reflog_object(tmp_path: Path) -> None:
    template = git_template(secret_template(tmp_path / "tpl"))
    repo = new_repo(tmp_path, template)
    release(template, "v1.1.0", {"config.env.jinja": "TOKEN={{ api_token }}\nMODE=second\n", "NEW.md": "new\n"})
    wrapper = tmp_path / "wrapper"
    wrapper.mkdir()
    (wrapper / "git").write_text(WRAPPER)  # git merge runs, then fails as on a full disk
    (wrapper / "git").chmod(0o755)
    head = git(repo, "rev-parse", "HEAD")
    env = dict(
        os.environ, **GIT_IDENTITY, PATH=f"{wrapper}{os.pathsep}{os.environ['PATH']}",
        REAL_GIT=shutil.which("git") or "git", FAULT_REPO=str(repo.resolve()), NEW_FILE="NEW.md",
    )  # fmt: skip

    done = subprocess.run(
        [SCAFFOLD, "update", "-d", f"api_token={NEW_SECRET}"], cwd=repo, env=env, capture_output=True, text=True
    )

    assert done.returncode != 0 and "is as it was before the update" in done.stderr
    assert NEW_SECRET not in done.stdout + done.stderr
    assert git(repo, "rev-parse", "HEAD") == head
    assert (repo / "config.env").read_text() == f"TOKEN={SECRET}\n"
    assert reachable_holding(repo, NEW_SECRET) == set()  # the pristine commit of the update is in the reflog
    assert reachable_holding(repo, SECRET) == {git(repo, "rev-parse", "HEAD:config.env").strip()}
    assert git(repo, "status", "--porcelain") == ""


def test_an_update_killed_while_the_secrets_were_placeholders_is_undone_by_the_next_run(tmp_path: Path) -> None:
    template = git_template(secret_template(tmp_path / "tpl"))
    repo = new_repo(tmp_path, template)
    release(template, "v1.1.0", {"config.env.jinja": "TOKEN={{ api_token }}\nMODE=second\n"})
    head, pristine = git(repo, "rev-parse", "HEAD").strip(), git(repo, "rev-parse", "scaffold/pristine").strip()
    secrets = SecretMerge(frozenset({"api_token"}), {"api_token": SECRET}, {"api_token": SECRET}, {}, None)
    holding, hidden = hidden_head(repo, head, secrets, of_commit(repo, pristine))
    assert hidden == ["config.env"]
    # the state a kill leaves once the update has checked out the files it merges from
    update_journal.write(update_journal.journal_path(repo), Journal(head, pristine, pristine, holding=holding))
    git(repo, "update-ref", "HEAD", holding)
    git(repo, "checkout", holding, "--", "config.env")
    assert (repo / "config.env").read_text() == f"TOKEN={PLACEHOLDER}\n"

    code, out, err = scaffold(repo, "update")

    assert code == 0, out + err
    assert git(repo, "rev-parse", "HEAD^1").strip() == head
    assert (repo / "config.env").read_text() == f"TOKEN={SECRET}\nMODE=second\n"


def test_the_update_after_a_squash_merged_update_still_merges_cleanly(tmp_path: Path) -> None:
    template = git_template(secret_template(tmp_path / "tpl"))
    repo = new_repo(tmp_path, template)
    git(repo, "branch", "-M", "main")
    release(template, "v1.1.0", {"config.env.jinja": "TOKEN={{ api_token }}\nMODE=second\n"})
    git(repo, "switch", "-q", "-c", "scaffold/update")
    code, out, err = scaffold(repo, "update")
    assert code == 0, out + err
    git(repo, "switch", "-q", "main")
    git(repo, "merge", "-q", "--squash", "scaffold/update")
    git(repo, "commit", "-q", "-m", "Update template to v1.1.0 (#1)")
    git(repo, "branch", "-q", "-D", "scaffold/update")
    check_says_up_to_date(repo)
    release(template, "v1.2.0", {"config.env.jinja": "TOKEN={{ api_token }}\nMODE=second\nLEVEL=3\n"})

    code, out, err = scaffold(repo, "update")

    assert code == 0, out + err
    assert (repo / "config.env").read_text() == f"TOKEN={SECRET}\nMODE=second\nLEVEL=3\n"
    assert reachable_holding(repo, SECRET, *pristine_refs(repo)) == set()
    check_says_up_to_date(repo)


def test_a_clone_without_the_pristine_branch_updates_after_a_squash_merge_keeping_the_secret(tmp_path: Path) -> None:
    template = git_template(secret_template(tmp_path / "tpl"))
    repo = new_repo(tmp_path, template)
    git(repo, "branch", "-M", "main")
    release(template, "v1.1.0", {"config.env.jinja": "TOKEN={{ api_token }}\nMODE=second\n"})
    git(repo, "switch", "-q", "-c", "scaffold/update")
    code, out, err = scaffold(repo, "update")
    assert code == 0, out + err
    git(repo, "switch", "-q", "main")
    git(repo, "merge", "-q", "--squash", "scaffold/update")
    git(repo, "commit", "-q", "-m", "Update template to v1.1.0 (#1)")
    clone = tmp_path / "clone"  # as CI checks out: main alone, the merge base must be rendered again
    subprocess.run(["git", "clone", "-q", "--single-branch", "--branch", "main", str(repo), str(clone)], check=True)
    release(template, "v1.2.0", {"config.env.jinja": "TOKEN={{ api_token }}\nMODE=second\nLEVEL=3\n"})

    code, out, err = scaffold(clone, "update")

    assert code == 0, out + err
    assert (clone / "config.env").read_text() == f"TOKEN={SECRET}\nMODE=second\nLEVEL=3\n"
    assert reachable_holding(clone, SECRET, *pristine_refs(clone)) == set()
    check_says_up_to_date(clone)


def test_after_a_rebase_merge_left_a_placeholder_in_a_new_file_the_next_update_fills_it_with_the_kept_value(
    tmp_path: Path,
) -> None:
    template = git_template(secret_template(tmp_path / "tpl"))
    repo = new_repo(tmp_path, template)
    git(repo, "branch", "-M", "main")
    release(template, "v1.1.0", {"client.env.jinja": "CLIENT_TOKEN={{ api_token }}\n"})
    git(repo, "switch", "-q", "-c", "scaffold/update")
    code, out, err = scaffold(repo, "update")
    assert code == 0, out + err
    git(repo, "rebase", "-q", "main")  # as GitHub's rebase merge: the pristine commits replayed, the merge dropped
    git(repo, "switch", "-q", "main")
    git(repo, "merge", "-q", "--ff-only", "scaffold/update")
    git(repo, "branch", "-q", "-D", "scaffold/update")
    assert (repo / "client.env").read_text() == f"CLIENT_TOKEN={PLACEHOLDER}\n"  # the pristine commit's line
    code, out, err = scaffold(repo, "check")
    assert code == 1, out + err
    assert "drifted" in out and "placeholder  client.env  (holds scaffold-secret-KEY" in out
    assert SECRET not in out + err
    release(template, "v1.2.0", {"config.env.jinja": "TOKEN={{ api_token }}\nMODE=second\n"})

    code, out, err = scaffold(repo, "update")  # the value is read from config.env, not from the placeholder

    assert code == 0, out + err
    assert (repo / "config.env").read_text() == f"TOKEN={SECRET}\nMODE=second\n"
    assert (repo / "client.env").read_text() == f"CLIENT_TOKEN={SECRET}\n"
    assert reachable_holding(repo, SECRET, *pristine_refs(repo)) == set()
    check_says_up_to_date(repo)


def test_a_secret_the_template_transforms_is_filled_in_from_the_real_render(tmp_path: Path) -> None:
    folder = secret_template(tmp_path / "tpl")
    with copier_yml(folder) as config:
        config["api_token"]["validator"] = (
            "{% if not api_token.startswith('S3') %}api_token must start with S3{% endif %}"
        )
    (folder / "b64.txt.jinja").write_text("A={{ api_token | b64encode }}\nB=1\n")
    template = git_template(folder)
    repo = new_repo(tmp_path, template)  # the placeholder does not pass the validator: it is not run on it
    encoded = base64.b64encode(SECRET.encode()).decode()
    assert (repo / "b64.txt").read_text() == f"A={encoded}\nB=1\n"
    check_says_up_to_date(repo)
    release(
        template,
        "v1.1.0",
        {"b64.txt.jinja": "A={{ api_token | b64encode }}\nB=2\nD={{ api_token | b64encode }}\n"},
    )  # B, next to the transformed line A, changes: no conflict

    code, out, err = scaffold(repo, "update")

    assert code == 0, out + err
    assert (repo / "b64.txt").read_text() == f"A={encoded}\nB=2\nD={encoded}\n"
    assert reachable_holding(repo, encoded, *pristine_refs(repo)) == set()
    assert reachable_holding(repo, SECRET, *pristine_refs(repo)) == set()
    check_says_up_to_date(repo)


def test_a_secret_only_ever_transformed_is_filled_in_when_given(tmp_path: Path) -> None:
    folder = secret_template(tmp_path / "tpl")
    (folder / "config.env.jinja").write_text("MODE=first\n")
    (folder / "b64.txt.jinja").write_text("A={{ api_token | b64encode }}\nB=1\n")
    template = git_template(folder)
    repo = new_repo(tmp_path, template)
    release(
        template,
        "v1.1.0",
        {"b64.txt.jinja": "A={{ api_token | b64encode }}\nB=1\nC=2\nD={{ api_token | b64encode }}\n"},
    )

    code, out, err = scaffold(repo, "update")  # no file holds the value as it is: it must be given
    assert code == 2 and "api_token" in err and SECRET not in out + err
    code, out, err = scaffold(repo, "update", "-d", f"api_token={SECRET}")

    assert code == 0, out + err
    encoded = base64.b64encode(SECRET.encode()).decode()
    assert (repo / "b64.txt").read_text() == f"A={encoded}\nB=1\nC=2\nD={encoded}\n"
    assert reachable_holding(repo, encoded, *pristine_refs(repo)) == set()


def test_a_fleet_update_keeps_each_repos_own_secret(tmp_path: Path) -> None:
    template = git_template(secret_template(tmp_path / "tpl"))
    first, second = new_repo(tmp_path, template), new_repo(tmp_path, template, NEW_SECRET, "other")
    release(template, "v1.1.0", {"config.env.jinja": "TOKEN={{ api_token }}\nMODE=second\n"})

    code, out, err = scaffold(tmp_path, "update", str(first), str(second))

    assert code == 0, out + err
    assert SECRET not in out + err and NEW_SECRET not in out + err
    assert (first / "config.env").read_text() == f"TOKEN={SECRET}\nMODE=second\n"
    assert (second / "config.env").read_text() == f"TOKEN={NEW_SECRET}\nMODE=second\n"
    for repo in (first, second):
        assert git(repo, "show", "scaffold/pristine:config.env") == f"TOKEN={PLACEHOLDER}\nMODE=second\n"


def test_a_file_matches_a_render_with_placeholders_only_with_one_value_per_secret() -> None:
    rendered = f"a={placeholder('tok')} b={placeholder('tok')} c={placeholder('tok_2')}\n".encode()
    assert captured(b"a=x b=x c=y\n", rendered, ["tok", "tok_2"]) == {"tok": b"x", "tok_2": b"y"}
    assert captured(b"a=x b=z c=y\n", rendered, ["tok", "tok_2"]) is None  # one secret, two values
    assert captured(b"plain\n", b"plain\n", ["tok"]) == {}
    assert fill(rendered, {"tok": "x", "tok_2": "y"}) == b"a=x b=x c=y\n"  # the longer key is not cut short
    assert hide(b"# mine\na=x b=x c=y\n", [("tok_2", "y"), ("tok", "x")]) == b"# mine\n" + rendered
    assert captured(b"a=x # mine b=x # mine c=y\n", rendered, ["tok", "tok_2"]) is None  # an edit, not a value
    assert current_values(
        {"f": b"a=x b=x c=y\n", "g": b"edited"}, {"f": rendered, "g": rendered}, ["tok", "tok_2"]
    ) == {
        "tok": "x",
        "tok_2": "y",
    }


def test_a_transformed_secret_line_is_taken_from_the_real_render_and_else_none() -> None:
    values = {"tok": "S3"}
    rendered = f"A={placeholder('tok').upper()}\nB=1\n".encode()
    real = b"A=S3\nB=1\n"
    merged = f"A=S3\nB=2\nC={placeholder('tok').upper()}\n".encode()
    assert filled_file(merged.replace(b"C=", b"A="), rendered, real, values) == b"A=S3\nB=2\nA=S3\n"
    assert filled_file(b"A=S3\n", rendered, b"A=S\n3\nB=1\n", values) is None  # the lines do not even match up


def test_a_secret_with_choices_is_created_and_its_choice_never_reaches_the_pristine_branch(tmp_path: Path) -> None:
    folder = secret_template(tmp_path / "tpl")
    with copier_yml(folder) as config:
        config["api_token"]["choices"] = ["changeme-default", SECRET]  # the placeholder is none of them

    repo = new_repo(tmp_path, git_template(folder))

    assert (repo / "config.env").read_text() == f"TOKEN={SECRET}\n"
    assert git(repo, "show", "scaffold/pristine:config.env") == f"TOKEN={PLACEHOLDER}\n"
    assert reachable_holding(repo, SECRET, *pristine_refs(repo)) == set()
    check_says_up_to_date(repo)


def test_an_answer_whose_default_is_built_from_a_secret_holds_its_placeholder_on_the_pristine_branch(
    tmp_path: Path,
) -> None:
    folder = secret_template(tmp_path / "tpl")
    with copier_yml(folder) as config:
        config["db_url"] = {"type": "str", "default": "postgres://app:{{ api_token }}@db/app"}  # taken with --defaults
        config["_message_after_copy"] = "Database: {{ db_url }}"
    (folder / "db.env.jinja").write_text("DB={{ db_url }}\n")
    template = git_template(folder)

    repo = new_repo(tmp_path, template)  # asserts the message printed holds no secret

    assert (repo / "db.env").read_text() == f"DB=postgres://app:{SECRET}@db/app\n"
    assert git(repo, "show", "scaffold/pristine:db.env") == f"DB=postgres://app:{PLACEHOLDER}@db/app\n"
    assert f"db_url: postgres://app:{PLACEHOLDER}@db/app" in git(repo, "show", "scaffold/pristine:.copier-answers.yml")
    assert reachable_holding(repo, SECRET, *pristine_refs(repo)) == set()
    check_says_up_to_date(repo)
    release(template, "v1.1.0", {"db.env.jinja": "DB={{ db_url }}\nPOOL=4\n"})

    code, out, err = scaffold(repo, "update", "--diff")
    assert code == 0, out + err
    assert "db.env: holds a secret answer; its changes are not shown" in out and SECRET not in out + err
    code, out, err = scaffold(repo, "update")  # the secret is read back from the files: not asked for

    assert code == 0, out + err
    assert SECRET not in out + err
    assert (repo / "db.env").read_text() == f"DB=postgres://app:{SECRET}@db/app\nPOOL=4\n"
    assert reachable_holding(repo, SECRET, *pristine_refs(repo)) == set()
    assert reachable_holding(repo, SECRET, "HEAD^2") == set()
    check_says_up_to_date(repo)
    release(template, "v1.2.0", {"db.env.jinja": "DB={{ db_url }}\nPOOL=8\n"})

    code, out, err = scaffold(repo, "update", "-d", f"api_token={NEW_SECRET}")  # db_url records the old one

    assert code == 0, out + err
    assert (repo / "db.env").read_text() == f"DB=postgres://app:{NEW_SECRET}@db/app\nPOOL=8\n"
    assert f"db_url: postgres://app:{NEW_SECRET}@db/app" in (repo / ".copier-answers.yml").read_text()
    for secret in (SECRET, NEW_SECRET):
        assert reachable_holding(repo, secret, *pristine_refs(repo)) == set()


def test_new_runs_the_placeholder_renders_tasks_first_so_what_they_set_outside_the_repo_is_the_value(
    tmp_path: Path,
) -> None:
    folder = secret_template(tmp_path / "tpl")
    vault = tmp_path / "vault.txt"  # a task that hands the secret to a store outside the repo (`gh secret set`)
    with copier_yml(folder) as config:
        config["_tasks"] = [f"echo {{{{ api_token }}}} >> {vault}"]

    code, out, err = scaffold(
        tmp_path,
        "new",
        "svc",
        "--template",
        str(git_template(folder)),
        "--defaults",
        "--trust",
        "-d",
        f"api_token={SECRET}",
    )

    assert code == 0, out + err
    assert vault.read_text().splitlines() == [PLACEHOLDER, SECRET]  # rendered twice (docs/updating.md): value last
    assert git(tmp_path / "svc", "show", "scaffold/pristine:config.env") == f"TOKEN={PLACEHOLDER}\n"


def test_a_template_that_renders_a_secret_into_a_file_name_is_refused_by_new_update_and_check(tmp_path: Path) -> None:
    folder = secret_template(tmp_path / "tpl")
    template = git_template(folder)
    repo = new_repo(tmp_path, template)
    release(template, "v1.1.0", {"{{ api_token }}.pem": "key\n"})  # `update --plan`, `check` print file names
    reason = (
        f"error: template {template} renders the secret answer api_token into the file name "
        f"'{PLACEHOLDER}.pem'; accepted: secret answers in file contents only\n"
    )
    head = git(repo, "rev-parse", "HEAD")

    for command in (["update", "--plan"], ["update"], ["check"]):
        code, out, err = scaffold(repo, *command)
        shown = (reason, "") if command[0] == "update" else ("", f"{repo}: {reason}")  # check reports on stdout
        assert (code, err, out) == (2, *shown), command
    assert git(repo, "rev-parse", "HEAD") == head and not git(repo, "status", "--porcelain")
    for pretend in (["--pretend"], []):  # the preview lists file names
        code, out, err = scaffold(
            tmp_path, "new", "other", "--template", str(template), "--defaults", "-d", f"api_token={SECRET}", *pretend
        )
        assert (code, out + err) == (2, reason)
        assert not (tmp_path / "other").exists()


def copier_made(template: Path, dest: Path) -> Path:
    """A repo made by plain `copier copy` with the secret, then committed."""
    copier = Path(sys.executable).parent / "copier"
    args = ["copy", "--defaults", "--vcs-ref", "v1.0.0", "-d", f"api_token={SECRET}", str(template), str(dest)]
    subprocess.run([str(copier), *args], check=True, capture_output=True)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "Made with copier")
    return dest


def test_adopt_reads_a_secret_from_the_files_or_refuses_and_its_pristine_render_holds_none(tmp_path: Path) -> None:
    folder = secret_template(tmp_path / "tpl")
    with copier_yml(folder) as config:
        config["db_url"] = {"type": "str", "default": "postgres://app:{{ api_token }}@db/app"}  # recorded by copier
    (folder / "db.env.jinja").write_text("DB={{ db_url }}\n")
    template = git_template(folder)
    read, edited = copier_made(template, tmp_path / "read"), copier_made(template, tmp_path / "edited")
    (edited / "config.env").write_text(f"TOKEN={SECRET}  # ours\n")  # the one file that tells the value
    git(edited, "commit", "-qam", "Comment the token")

    code, out, err = scaffold(read, "adopt")
    assert code == 0, out + err
    code, out, err = scaffold(edited, "adopt")
    assert (code, out, err) == (
        2,
        "",
        f"error: {edited}: the secret answer api_token is not recorded and no file of the repo tells it; "
        "accepted: --data api_token=VALUE (the value the repo uses)\n",
    )
    code, out, err = scaffold(edited, "adopt", "-d", f"api_token={SECRET}")
    assert code == 0, out + err

    for repo in (read, edited):
        assert git(repo, "show", "scaffold/pristine:db.env") == f"DB=postgres://app:{PLACEHOLDER}@db/app\n"
        assert reachable_holding(repo, SECRET, *pristine_refs(repo)) == set()
        assert SECRET not in out + err
    check_says_up_to_date(read)


def test_a_secret_that_is_part_of_its_own_placeholder_is_hidden_once_and_updates_cleanly(tmp_path: Path) -> None:
    secret = "scaffold-secret"  # as `secret`, a common development default, is part of `scaffold-secret-KEY`
    assert hide(b"TOKEN=" + secret.encode() + b"\n", [("api_token", secret)] * 2) == f"TOKEN={PLACEHOLDER}\n".encode()
    template = git_template(secret_template(tmp_path / "tpl"))
    repo = new_repo(tmp_path, template, secret)
    release(template, "v1.1.0", {"config.env.jinja": "TOKEN={{ api_token }}\nMODE=second\n"})

    code, out, err = scaffold(repo, "update")  # the value is read from the file, then hidden for the merge

    assert code == 0, out + err
    assert (repo / "config.env").read_text() == f"TOKEN={secret}\nMODE=second\n"
    assert git(repo, "show", "scaffold/pristine:config.env") == f"TOKEN={PLACEHOLDER}\nMODE=second\n"


def test_a_task_that_fails_with_the_real_value_is_reported_with_the_secret_masked(tmp_path: Path) -> None:
    folder = secret_template(tmp_path / "tpl")
    store = tmp_path / "registered"  # a task that is not idempotent: its second run (the real values) fails
    with copier_yml(folder) as config:
        config["_tasks"] = [f"mkdir {store} && echo {{{{ api_token }}}} > {store}/token"]

    code, out, err = scaffold(
        tmp_path,
        "new",
        "svc",
        "--template",
        str(git_template(folder)),
        "--defaults",
        "--trust",
        "-d",
        f"api_token={SECRET}",
    )

    assert (code, out) == (2, "")
    assert err == (
        f"error: template {folder} could not be rendered: Command 'mkdir {store} && echo ******** > {store}/token' "
        "returned non-zero exit status 1.\n"
    )
    assert not (tmp_path / "svc").exists()
