"""Hostile templates, run through every command that renders one, as a security reviewer would.

Each attack of the gallery (tests/hostile_templates.py) is tried on `new`, `new --pretend`,
`template test`, and, released as a new version of a git template the user's repos were made from,
on `check`, `update --plan`, `update`, and fleet `check` and `update`. Every run must be refused
with one line and exit 2, create no canary, leave the folder outside untouched, and leave the
destination or the repos exactly as they were. Attacks that need consent run, with it, only what
the consent covers.
"""

import ctypes
import json
import os
import resource
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.cli import scaffold
from tests.hostile_templates import (
    ALLOCATING_TASK,
    HUNGRY,
    HUNGRY_DEFAULT,
    LARGE,
    LOOK_ALIKE,
    NEEDS_CONSENT,
    NEVER_ALLOWED,
    SLOW,
    SLOW_DEFAULT,
    World,
    benign_template,
    billion_laughs,
    both,
    files,
    git_template,
    hostile_template,
    look_alike_extension,
    release_attack,
    settings,
)
from tests.template_repos import git

Attack = Callable[[Path, World], None]
GIT_REFUSES = {"upper-case .GIT", ".git with a trailing dot", ".git as an NTFS stream", "FIFO"}
"""Attacks git itself will not commit (`invalid path`, or not a file git stores), so no git template can carry them."""


NEVER = "(refused, trusted or not)"
DOT_GIT = f": nothing may be written at or under .git {NEVER}"
OUTSIDE = f" is forbidden: it reads or writes outside the template or the new repo {NEVER}"
CONSENT = "; refused: pass --trust, or list its source under `trusted` in the org config"
BARE = f"renders sub/HEAD: a git repository (HEAD, objects, refs) inside the new repo {NEVER}"
ANSWERS_OUT = f"points outside the new repo; accepted: a path inside it {NEVER}"
REFUSED_FOR = {
    "git config with fsmonitor": f"renders .git{DOT_GIT}",
    "git hook": f"renders .git{DOT_GIT}",
    "upper-case .GIT": f"renders .GIT{DOT_GIT}",
    ".git with a trailing dot": f"renders .git.{DOT_GIT}",
    "gitfile pointing outside": f"renders .git{DOT_GIT}",
    "nested .git in a sub-folder": f"renders vendor/lib/.git{DOT_GIT}",
    "zero-width .git (HFS+)": f"renders .g\\u200cit{DOT_GIT}",  # the message escapes what it cannot show
    ".git as an NTFS stream": f"renders .git::$INDEX_ALLOCATION{DOT_GIT}",
    "bare repository of executable files": BARE,
    "embedded bare repository": BARE,
    "answers file outside": f"_answers_file '../../outside/victim.yml' {ANSWERS_OUT}",
    "answers file absolute": f"_answers_file '{{world.outside}}/victim.yml' {ANSWERS_OUT}",
    "answers file rendered outside": f"_answers_file '../../../../../../outside/victim.yml' {ANSWERS_OUT}",
    "answers file in .git": f"_answers_file '.git/config' is at or under .git; accepted: a path outside .git {NEVER}",
    "external data outside": f'"../../outside/secret.yml"{OUTSIDE}',
    "external data absolute": f'"{{world.outside}}/secret.yml"{OUTSIDE}',
    "external data in the repo's .git": f"is refused: _external_data head reads .git/HEAD, at or under .git {NEVER}",
    "subdirectory outside": f'"../../outside"{OUTSIDE}',
    "file name escaping": f'".."{OUTSIDE}',
    "file name absolute": f'"{{world.outside}}"{OUTSIDE}',
    "symlink to a file outside": f"has leak.txt, a link to {{world.outside}}/secret.yml, outside the template {NEVER}",
    "symlinked folder outside": f"has data, a link to {{world.outside}}, outside the template {NEVER}",
    "preserved symlink outside": f"has link, a link to {{world.outside}}, outside the template {NEVER}",
    "relative symlink climbing out": f"has up, a link to ../../../../../../../.., outside the template {NEVER}",
    "write through a preserved symlink": f"has link, a link to {{world.outside}}, outside the template {NEVER}",
    "task": f"wants to run code on this machine: tasks `{{world.command}}`{CONSENT}",
    "task as a mapping": f"wants to run code on this machine: tasks `{{world.command}}`{CONSENT}",
    "migration": f"wants to run code on this machine: migrations `{{world.command}}`{CONSENT}",
    "foreign Jinja extension": f"wants to run code on this machine: Jinja extensions `jinja2.ext.do`{CONSENT}",
    "look-alike of scaffold's extension": f"Jinja extensions `generator.jinja_ext.{LOOK_ALIKE}`{CONSENT}",
    "scaffold's extension spelt another way": f"Jinja extensions `generator.jinja_ext:ScaffoldExtension`{CONSENT}",
    "filters that read the machine": "No filter named 'expandvars'",
    "a render that runs for hours": "to render; accepted: a template that renders in less (SCAFFOLD_LIMIT_RENDER",
    "copier.yml linked outside": "has copier.yml, a link to {world.outside}/private.yml, outside the template",
    "preserved symlink into .git": "renders hooks: a link to .git/hooks; nothing may be written at or under .git",
    "preserved symlink into .git, spelt around": "renders config: a link to sub/up/.GIT/config; nothing may be written",
    "link in a loop": f"has loop, a link to loop in a loop of links {NEVER}",
    "links in a loop through each other": f"in a loop of links {NEVER}",
    "folders nested past the limit": "nests folders more than 64 deep",
    "rendered names nested past the limit": f"folders nested more than 64 deep (SCAFFOLD_LIMIT_DEPTH) {NEVER}",
    "FIFO": f"has pipe.txt, a FIFO (named pipe); accepted: files, folders and links {NEVER}",
    "billion-laughs in copier.yml": "expands to more than 100000 YAML nodes through its aliases (a YAML bomb)",
    "billion-laughs in a file copier.yml includes": "settings.yml (`!include settings.yml`) expands to more than "
    "100000 YAML nodes through its aliases (a YAML bomb); accepted: a smaller document (SCAFFOLD_LIMIT_YAML_NODES)",
    "a repetition of gigabytes": "is refused: a repetition longer than 512 MiB (SCAFFOLD_LIMIT_BYTES)",
    "a default of gigabytes": "a repetition longer than 512 MiB (SCAFFOLD_LIMIT_BYTES)",
    "a power too large to compute": "is refused: a power with an exponent above 10000",
    "a padding of gigabytes": "is refused: a text longer than 512 MiB from str.ljust (SCAFFOLD_LIMIT_BYTES)",
    "a tab expansion of gigabytes": "is refused: a text longer than 512 MiB from str.expandtabs (SCAFFOLD_LIMIT",
    "a centre filter of gigabytes": "is refused: a text longer than 512 MiB from the center filter (SCAFFOLD_LIMIT",
    "an indent filter of gigabytes": "is refused: a text longer than 512 MiB from the indent filter (SCAFFOLD_LIMIT",
    "a thousand files of 100 kB each": "renders more than 1 MiB; accepted: a smaller render, or a higher "
    "SCAFFOLD_LIMIT_BYTES",
    "a file of gigabytes from a loop": "renders more than 1 MiB; accepted: a smaller render, or a higher "
    "SCAFFOLD_LIMIT_BYTES",
    "a hundred thousand files": "renders more than 200 files, folders and links (at f",
    **dict.fromkeys(
        HUNGRY,
        "needed more than 256 MiB of memory to render; accepted: a smaller render, or a higher SCAFFOLD_LIMIT_MEMORY",
    ),
    "a default that runs for hours": "is refused at slow of copier.yml: it took more than 3 seconds to render; "
    "accepted: a template that renders in less (SCAFFOLD_LIMIT_RENDER_SECONDS)",
    "a default of a gigabyte built in C": "is refused at big of copier.yml: it needed more than 256 MiB of memory "
    "to render; accepted: a smaller render, or a higher SCAFFOLD_LIMIT_MEMORY",
}
"""Why each attack is refused: the rule its one-line message names ({world.*} filled in)."""
QUESTIONS = {"a default that runs for hours": SLOW_DEFAULT, "a default of a gigabyte built in C": HUNGRY_DEFAULT}
"""Attacks on the questions, which render before any file: held to the render's time and memory limits."""
TEMPLATE_TEST = f"`template test` compiles and runs its code (go build, go test){CONSENT}"


def refused_for(attack: str, world: World) -> str:
    return REFUSED_FOR[attack].format(world=world)


def repo_state(repo: Path) -> dict[str, object]:
    """Everything an update could change: work tree files, refs, HEAD, status, git objects and the index."""
    files = {
        p.relative_to(repo).as_posix(): (os.readlink(p).encode() if p.is_symlink() else p.read_bytes())
        for p in sorted(repo.rglob("*"))
        if ".git" not in p.relative_to(repo).parts and (p.is_file() or p.is_symlink())
    }
    git_dir = repo / ".git"
    return {
        "files": files,
        "refs": git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
        "head": (git_dir / "HEAD").read_text(),
        "status": git(repo, "status", "--porcelain", "--untracked-files=all"),
        "objects": sorted(p.name for p in (git_dir / "objects").rglob("*") if p.is_file()),
        "merge": sorted(p.name for p in git_dir.iterdir() if p.name.startswith(("MERGE", "ORIG", "AUTO"))),
    }


def assert_refused(
    result: tuple[int, str, str], command: str, world: World, before: dict[str, bytes], reason: str
) -> None:
    """Check the command refused for `reason` (the rule its message names), exit 2, and touched nothing outside."""
    code, out, err = result
    assert code == 2, f"{command}: exit {code}\n{out}\n{err}"
    said = err + out  # one line on stderr; check reports a refusal in its report
    if out.startswith("{"):  # a fleet's --json: each repo's row says why
        said = "\n".join(row["detail"] for row in json.loads(out)["repos"])
    assert reason in said, f"{command}: refused, but not for {reason!r}:\n{out}\n{err}"
    assert not world.canary.exists(), f"{command}: the attack ran a command"
    assert world.snapshot() == before, f"{command}: a file outside the destination changed"
    assert "s3cr3t" not in out + err, f"{command}: the content of a file outside the template was shown"


def assert_one_line(result: tuple[int, str, str], command: str) -> None:
    _, out, err = result
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), f"{command}: not one error line:\n{err}"
    assert "Traceback" not in out + err


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    world = World(tmp_path).prepare()
    # the look-alike's payload exists (in this process), so only the guard keeps it from running
    monkeypatch.setattr(f"generator.jinja_ext.{LOOK_ALIKE}", look_alike_extension(world), raising=False)
    return world


def made_repos(world: World, template: Path, names: tuple[str, ...] = ("svc", "svc2")) -> list[Path]:
    """Repos made by `scaffold new` from the benign first version of the git template."""
    work = world.root / "repos"
    work.mkdir(exist_ok=True)
    repos = []
    for name in names:
        code, out, err = scaffold(work, "new", name, "--template", str(template), "--defaults")
        assert code == 0, out + err
        repos.append(work / name)
    return repos


def try_repo_commands(world: World, template: Path, attack: str, trust: tuple[str, ...]) -> None:
    """Release `attack` as v2.0.0 of a git template; check and update the repos made from v1.0.0."""
    repos = made_repos(world, git_template(template))
    attacks = {**NEVER_ALLOWED, **NEEDS_CONSENT, **LARGE, **HUNGRY, "a render that runs for hours": SLOW, **QUESTIONS}
    release_attack(template, world, attacks[attack])
    reason = refused_for(attack, world)
    before = world.snapshot()
    states = [repo_state(repo) for repo in repos]
    work = world.root / "repos"
    single = [
        ("check", ("check", *trust)),
        ("update --plan", ("update", "--plan", *trust)),
        ("update", ("update", *trust)),
    ]
    for command, args in single:
        result = scaffold(repos[0], *args)
        assert_refused(result, command, world, before, reason)
        if command != "check":  # check reports the refusal in its report; update says it on stderr
            assert_one_line(result, command)
        else:
            assert f"{repos[0]}: error: " in result[1], result[1]
    for command, args in (("fleet check", ("check", "svc", "svc2")), ("fleet update", ("update", "svc", "svc2"))):
        result = scaffold(work, *args, *trust, "--json")
        assert_refused(result, command, world, before, reason)
        rows = json.loads(result[1])["repos"]
        assert [(row["result"], reason in row["detail"]) for row in rows] == [("error", True)] * 2, rows
    assert [repo_state(repo) for repo in repos] == states, "a repo changed"


def try_folder_commands(world: World, template: Path, attack: str, trust: tuple[str, ...]) -> None:
    """Run `new`, `new --pretend` and `template test` on the hostile template folder."""
    work = world.root / "work"
    work.mkdir()
    before = world.snapshot()
    for command, args in (
        ("new", ("new", "svc", "--template", str(template), "--defaults", *trust)),
        ("new --pretend", ("new", "svc", "--template", str(template), "--defaults", "--pretend", *trust)),
        ("template test", ("template", "test", str(template), *trust)),
    ):
        result = scaffold(work, *args)
        # without --trust, `template test` refuses any template before reading it: it runs the Go code
        reason = TEMPLATE_TEST if command == "template test" and not trust else refused_for(attack, world)
        assert_refused(result, command, world, before, reason)
        assert_one_line(result, command)
        assert list(work.iterdir()) == [], f"{command}: wrote {list(work.iterdir())}"


@pytest.mark.parametrize("attack", list(NEVER_ALLOWED), ids=list(NEVER_ALLOWED))
def test_what_no_template_may_do_is_refused_even_with_trust(world: World, attack: str) -> None:
    template = hostile_template(world.root / "hostile", world, NEVER_ALLOWED[attack])
    try_folder_commands(world, template, attack, ("--trust",))
    if attack not in GIT_REFUSES:
        try_repo_commands(world, benign_template(world.root / "released"), attack, ("--trust",))


@pytest.mark.parametrize("attack", list(NEEDS_CONSENT), ids=list(NEEDS_CONSENT))
def test_code_a_template_wants_to_run_is_refused_without_consent(world: World, attack: str) -> None:
    template = hostile_template(world.root / "hostile", world, NEEDS_CONSENT[attack])
    try_folder_commands(world, template, attack, ())
    try_repo_commands(world, benign_template(world.root / "released"), attack, ())


@pytest.mark.parametrize("attack", ["look-alike of scaffold's extension", "scaffold's extension spelt another way"])
def test_the_extension_payloads_load_with_trust_so_their_refusal_is_the_consent_rule(world: World, attack: str) -> None:
    template = hostile_template(world.root / "hostile", world, NEEDS_CONSENT[attack])
    code, out, err = scaffold(world.root, "new", "svc", "--template", str(template), "--defaults", "--trust")
    assert code == 0, out + err
    assert world.canary.exists() == (attack == "look-alike of scaffold's extension")  # its code ran, with consent
    assert (world.root / "svc" / "README.md").read_text() == "# svc\n"


def test_a_task_runs_with_trust_and_only_the_task(world: World) -> None:
    template = hostile_template(world.root / "tasky", world, NEEDS_CONSENT["task"])
    code, out, err = scaffold(world.root, "new", "svc", "--template", str(template), "--defaults", "--trust")
    assert code == 0, out + err
    assert world.canary.exists()  # what the consent covers ran
    assert (world.root / "svc" / "README.md").read_text() == "# svc\n"


def test_a_trusted_task_with_a_never_allowed_file_is_still_refused(world: World) -> None:
    attack = NEVER_ALLOWED["git config with fsmonitor"]
    template = hostile_template(world.root / "both", world, attack)
    NEEDS_CONSENT["task"](template, world)
    code, _, err = scaffold(world.root, "new", "svc", "--template", str(template), "--defaults", "--trust")
    assert code == 2
    assert "renders .git: nothing may be written at or under .git" in err
    assert not (world.root / "svc").exists()


def test_the_refusal_names_the_file_and_the_rule(world: World) -> None:
    cases = {
        "git config with fsmonitor": "renders .git: nothing may be written at or under .git (refused, trusted or not)",
        "answers file outside": "_answers_file '../../outside/victim.yml' points outside the new repo",
        "answers file rendered outside": "_answers_file '../../../../../../outside/victim.yml' points outside",
        "answers file in .git": "_answers_file '.git/config' is at or under .git",
        "embedded bare repository": "renders sub/HEAD: a git repository (HEAD, objects, refs) inside the new repo",
        "preserved symlink outside": f"has link, a link to {world.outside}, outside the template (refused, trusted",
        "external data outside": '"../../outside/secret.yml" is forbidden: it reads or writes outside',
        "task": f"wants to run code on this machine: tasks `{world.command}`; refused: pass --trust",
        "look-alike of scaffold's extension": "Jinja extensions `generator.jinja_ext.ScaffoldExtensionEvil`",
    }
    for attack, message in cases.items():
        table = NEVER_ALLOWED if attack in NEVER_ALLOWED else NEEDS_CONSENT
        template = hostile_template(world.root / attack.replace(" ", "-"), world, table[attack])
        code, _, err = scaffold(world.root, "new", "svc", "--template", str(template), "--defaults")
        assert code == 2 and message in err, f"{attack}: {err}"


@pytest.mark.parametrize(
    ("attack", "trust"),
    [("git config with fsmonitor", ("--trust",)), ("embedded bare repository", ("--trust",)), ("task", ())],
)
def test_apply_and_adopt_refuse_a_hostile_template_and_change_nothing(world: World, attack: str, trust: tuple) -> None:
    table = NEVER_ALLOWED if attack in NEVER_ALLOWED else NEEDS_CONSENT
    hostile = git_template(hostile_template(world.root / "hostile", world, table[attack]))
    (repo,) = made_repos(world, git_template(benign_template(world.root / "benign")), ("svc",))
    (world.root / "plain").mkdir()
    (world.root / "plain" / "README.md").write_text("# made by hand\n")
    git(world.root / "plain", "init", "-q")
    git(world.root / "plain", "add", "-A")
    git(world.root / "plain", "commit", "-qm", "By hand")
    before = world.snapshot()
    states = {path: repo_state(path) for path in (repo, world.root / "plain")}
    for command, args in (
        ("apply", ("apply", "--template", str(hostile), str(repo), *trust)),
        ("adopt", ("adopt", str(world.root / "plain"), "--template", str(hostile), *trust)),
    ):
        result = scaffold(world.root, *args)
        assert_refused(result, command, world, before, refused_for(attack, world))
        assert_one_line(result, command)
    assert {path: repo_state(path) for path in states} == states


def test_consent_follows_the_template_that_renders_not_the_one_the_repo_records(world: World) -> None:
    trusted = git_template(benign_template(world.root / "trusted"))
    (repo,) = made_repos(world, trusted, ("svc",))
    evil = hostile_template(world.root / "evil", world, NEEDS_CONSENT["task"])
    config = world.root / "org.toml"
    config.write_text(f'trusted = ["{trusted}"]\n')
    (world.root / "plain").mkdir()
    (world.root / "plain" / "README.md").write_text("# made by hand\n")
    git(world.root / "plain", "init", "-q")
    git(world.root / "plain", "add", "-A")
    git(world.root / "plain", "commit", "-qm", "By hand")
    before = world.snapshot()
    states = {path: repo_state(path) for path in (repo, world.root / "plain")}
    for command, cwd, args in (
        ("update --template", repo, ("update", "--template", str(evil))),
        ("update --template --plan", repo, ("update", "--plan", "--template", str(evil))),
        ("apply", world.root, ("apply", "--template", str(evil), str(repo))),
        ("adopt", world.root, ("adopt", str(world.root / "plain"), "--template", str(evil))),
    ):
        result = scaffold(cwd, *args, "--config", str(config))
        assert_refused(result, command, world, before, f"template {evil} wants to run code on this machine: tasks")
        assert_one_line(result, command)
    assert {path: repo_state(path) for path in states} == states
    # the same org config still lets the trusted template itself run: the entry is not ignored
    release_attack(trusted, world, NEEDS_CONSENT["task"])
    code, out, err = scaffold(repo, "update", "--config", str(config))
    assert code == 0, out + err
    assert world.canary.exists()


def test_a_render_is_staged_where_no_other_tool_looks_until_the_guard_passed_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.render as render_module

    seen: list[tuple[Path, int, list[str]]] = []
    guard = render_module.check_rendered

    def spy(root: Path, template: str, *limits: object) -> None:
        near_user = sorted(p.relative_to(world.root).as_posix() for p in (world.root / "work").rglob("*"))
        seen.append((root, stat.S_IMODE(root.parent.stat().st_mode), near_user))
        guard(root, template, *limits)

    monkeypatch.setattr(render_module, "check_rendered", spy)
    template = hostile_template(world.root / "hostile", world, NEVER_ALLOWED["git config with fsmonitor"])
    (world.root / "work").mkdir()
    before = world.snapshot()
    for dest in ("svc", "."):
        result = scaffold(world.root / "work", "new", "svc", dest, "--template", str(template), "--defaults", "--trust")
        assert_refused(result, f"new {dest}", world, before, "renders .git: nothing may be written at or under .git")
        root, mode, near_user = seen.pop()
        assert not root.is_relative_to(world.root), f"staged at {root}, beside the destination"
        assert root.is_relative_to(tempfile.gettempdir()) and mode == 0o700
        assert near_user == [], f"while the template rendered, the user's folder held {near_user}"
        assert not root.parent.exists()
    assert list((world.root / "work").iterdir()) == []


SWAPPER = """
import ctypes, sys, time
renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
a, b, deadline = sys.argv[1].encode(), sys.argv[2].encode(), time.monotonic() + float(sys.argv[3])
while time.monotonic() < deadline:
    renameat2(-100, a, -100, b, 2)  # AT_FDCWD, RENAME_EXCHANGE
"""
"""Swaps two paths atomically in a loop, for a bounded time, in its own process (no GIL shared with scaffold)."""


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False when the system cannot."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    return bool(renameat2(at_fdcwd, bytes(a), at_fdcwd, bytes(b), rename_exchange) == 0)


def test_a_local_template_swapped_while_new_runs_never_renders_an_outside_file(world: World) -> None:
    template = benign_template(world.root / "tpl")
    (template / "docs").mkdir()
    (template / "docs" / "guide.md").write_text("inside the template\n")
    decoy = world.root / "decoy"
    decoy.symlink_to(world.outside, target_is_directory=True)
    if not (_exchange(template / "docs", decoy) and _exchange(template / "docs", decoy)):
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here")
    swapper = subprocess.Popen([sys.executable, "-c", SWAPPER, str(template / "docs"), str(decoy), "120"])
    outcomes: dict[int, int] = {}
    try:
        for attempt in range(12):  # the swap lands at a different moment of each run
            work = world.root / f"work{attempt}"
            work.mkdir()
            code, out, err = scaffold(work, "new", "svc", "--template", str(template), "--defaults", "--no-git")
            outcomes[code] = outcomes.get(code, 0) + 1
            assert code in (0, 2), out + err
            assert "s3cr3t" not in out + err
            for path in (work / "svc").rglob("*") if code == 0 else ():
                assert not path.is_symlink() or path.name != "docs", f"a link out of the repo: {path}"
                if path.is_file():
                    assert b"s3cr3t" not in path.read_bytes(), f"an outside file was rendered: {path}"
                    assert path.name != "secret.yml", f"an outside file was rendered: {path}"
            if code == 2:
                assert err.startswith(f"error: template {template} ") and err.count("\n") == 1, err
                assert "changed while scaffold copied it" in err or "outside the template" in err, err
                assert list(work.iterdir()) == []
    finally:
        swapper.kill()
        swapper.wait(timeout=10)
    assert sum(outcomes.values()) == 12


@pytest.mark.parametrize("spelling", ["folder", "git URL"])
def test_an_edited_src_path_is_refused_by_check_and_update_before_anything_is_fetched(
    world: World, spelling: str
) -> None:
    template = git_template(benign_template(world.root / "tpl"))
    (repo,) = made_repos(world, template, ("svc",))
    evil = hostile_template(world.root / "evil", world, NEVER_ALLOWED["copier.yml linked outside"])
    edited = {"folder": str(evil), "git URL": "git://127.0.0.1:9/acme/tpl"}[spelling]
    answers = repo / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace(f"_src_path: {template}", f"_src_path: {edited}"))
    git(repo, "commit", "-qam", "Point _src_path elsewhere (a pull request)")
    before = world.snapshot()
    state = repo_state(repo)
    rule = f"_src_path {edited} in .copier-answers.yml of {repo} is not the template its history was rendered from"
    for command, args in (("check", ("check", "--trust")), ("update", ("update", "--trust"))):
        code, out, err = scaffold(repo, *args)
        assert_refused((code, out, err), command, world, before, rule)
    assert repo_state(repo) == state


def _limited_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # a billion-laughs expanded takes far more


def test_a_billion_laughs_answers_file_is_a_one_line_refusal_in_bounded_memory(world: World) -> None:
    template = git_template(benign_template(world.root / "tpl"))
    (repo,) = made_repos(world, template, ("svc",))
    answers = repo / ".copier-answers.yml"
    answers.write_text(answers.read_text() + billion_laughs())
    git(repo, "commit", "-qam", "An answers file with a billion-laughs")
    bomb = world.root / "answers.yml"
    bomb.write_text(billion_laughs())
    state = repo_state(repo)
    scaffold_command = [sys.executable, "-c", "from generator.cli import main; main()"]
    for cwd, args in (
        (repo, ("check",)),
        (repo, ("update",)),
        (world.root, ("new", "other", "--answers-file", str(bomb), "--defaults")),
    ):
        run = subprocess.run(
            [*scaffold_command, *args], cwd=cwd, capture_output=True, text=True, timeout=300, preexec_fn=_limited_memory
        )
        out, err = run.stdout, run.stderr
        assert run.returncode == 2, f"{args}: exit {run.returncode}\n{out}{err}"
        message = "expands to more than 100000 YAML nodes through its aliases (a YAML bomb)"
        assert message in out + err, f"{args}: {out}{err}"
        if args[0] != "check":
            assert_one_line((run.returncode, out, err), args[0])
    assert repo_state(repo) == state
    assert not (world.root / "other").exists()


def test_a_render_that_would_run_for_hours_is_refused_at_its_time_limit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCAFFOLD_LIMIT_RENDER_SECONDS", "3")
    template = hostile_template(world.root / "hostile", world, SLOW)
    try_folder_commands(world, template, "a render that runs for hours", ("--trust",))
    try_repo_commands(world, benign_template(world.root / "released"), "a render that runs for hours", ("--trust",))
    code, _, err = scaffold(world.root, "new", "svc", "--template", str(template), "--defaults")
    assert code == 2
    assert err == (
        f"error: template {template} took more than 3 seconds to render; accepted: a template that renders in less "
        "(SCAFFOLD_LIMIT_RENDER_SECONDS)\n"
    )


@pytest.mark.parametrize("attack", list(LARGE), ids=list(LARGE))
def test_a_render_past_the_size_or_file_limit_is_refused_before_more_reaches_the_disk(
    world: World, attack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit_bytes, limit_files = 1 << 20, 200
    monkeypatch.setenv("SCAFFOLD_LIMIT_BYTES", str(limit_bytes))
    monkeypatch.setenv("SCAFFOLD_LIMIT_FILES", str(limit_files))
    temp = world.root / "temp"  # every temporary folder of the commands (fleet workers too), to see none is left
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    # What the render puts on disk, measured where copier writes each file: a run's bytes and files, command by
    # command (the fleet's worker processes are not measured here, only their refusal)
    written: list[int] = []
    write_bytes = Path.write_bytes

    def measured(path: Path, data: bytes) -> int:
        if path.is_relative_to(temp):
            written.append(len(data))
        return write_bytes(path, data)

    monkeypatch.setattr(Path, "write_bytes", measured)
    template = hostile_template(world.root / "hostile", world, LARGE[attack])
    runs: list[tuple[int, int]] = []
    folder_scaffold = scaffold

    def measuring_scaffold(cwd: Path, *args: str) -> tuple[int, str, str]:
        written.clear()
        result = folder_scaffold(cwd, *args)
        runs.append((sum(written), len(written)))
        return result

    monkeypatch.setattr(sys.modules[__name__], "scaffold", measuring_scaffold)
    try_folder_commands(world, template, attack, ("--trust",))
    try_repo_commands(world, benign_template(world.root / "released"), attack, ("--trust",))
    assert list(temp.iterdir()) == [], "a staging folder was left behind"
    for size, count in runs:
        assert size <= limit_bytes and count <= limit_files, f"wrote {size} bytes in {count} files, past the limits"
    # the runs that went as far as the limit allows: new, new --pretend, template test, check, update --plan, update
    if attack == "a thousand files of 100 kB each":  # ten files of the thousand, then the refusal
        assert len([size for size, _ in runs if size >= 10 * 100_000]) >= 6, runs
    elif attack == "a hundred thousand files":
        assert len([count for _, count in runs if count >= limit_files - 5]) >= 6, runs
    else:  # one file: none of it reached the disk (at most the answers file did)
        assert max(size for size, _ in runs) < 1000, runs


MEMORY_LIMIT = 256 << 20
"""The memory limit of the tests below: low, so that a render reaches it quickly."""


@pytest.mark.parametrize("attack", list(HUNGRY), ids=list(HUNGRY))
def test_a_render_past_the_memory_limit_is_refused_and_the_limit_is_lifted_after(
    world: World, attack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCAFFOLD_LIMIT_MEMORY", str(MEMORY_LIMIT))
    temp = world.root / "temp"  # every temporary folder of the commands, to see none is left
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    before = resource.getrlimit(resource.RLIMIT_AS)
    template = hostile_template(world.root / "hostile", world, HUNGRY[attack])
    try_folder_commands(world, template, attack, ("--trust",))
    try_repo_commands(world, benign_template(world.root / "released"), attack, ("--trust",))
    assert list(temp.iterdir()) == [], "a staging folder was left behind"
    assert resource.getrlimit(resource.RLIMIT_AS) == before  # the commands ran in this process
    code, _, err = scaffold(world.root, "new", "svc", "--template", str(template), "--defaults")
    assert (code, err) == (
        2,
        f"error: template {template} needed more than 256 MiB of memory to render; accepted: a smaller render, "
        "or a higher SCAFFOLD_LIMIT_MEMORY\n",
    )


def test_a_consented_task_is_not_held_to_the_renders_memory_limit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCAFFOLD_LIMIT_MEMORY", str(MEMORY_LIMIT))
    before = resource.getrlimit(resource.RLIMIT_AS)
    template = hostile_template(world.root / "tasky", world, settings(_tasks=[ALLOCATING_TASK]))
    code, out, err = scaffold(world.root, "new", "svc", "--template", str(template), "--defaults", "--trust")
    assert code == 0, out + err
    assert (world.root / "svc" / "task-ran").read_text() == str(600 * 1024 * 1024)
    assert resource.getrlimit(resource.RLIMIT_AS) == before


OSC52 = "\x1b]52;c;ZXZpbA==\x07"
"""A terminal escape that writes to the clipboard: it must be shown, never reach a terminal raw."""
LOW_LEVEL = "{{% if level < 10 %}}too low " + OSC52 + "{{% endif %}}"


def test_terminal_escapes_a_template_provides_are_shown_never_sent_raw(world: World) -> None:
    template = hostile_template(
        world.root / "hostile",
        world,
        both(
            settings(
                _message_after_copy=f"Done {OSC52} \x1b]8;;https://evil.example\x1b\\\\link\x1b]8;;\x1b\\\\ \u202eevil",
                level={"type": "int", "default": 50, "validator": LOW_LEVEL},
            ),
            files({f"name{OSC52}.txt": "x\n"}),
        ),
    )
    runs = {
        "new": scaffold(world.root, "new", "svc", "--template", str(template), "--defaults"),
        "new --pretend": scaffold(world.root, "new", "svc2", "--template", str(template), "--defaults", "--pretend"),
        "validator": scaffold(world.root, "new", "svc3", "--template", str(template), "--defaults", "-d", "level=5"),
    }
    for command, (_, out, err) in runs.items():
        assert "\x1b" not in out + err and "\x07" not in out + err and "\u202e" not in out + err, f"{command}: raw"
    assert runs["new"][0] == 0 and "Done \\x1b]52;c;ZXZpbA==\\x07" in runs["new"][1]
    assert "\\u202eevil" in runs["new"][1]
    assert runs["new --pretend"][0] == 0 and "name\\x1b]52;c;ZXZpbA==\\x07.txt" in runs["new --pretend"][1]
    code, _, err = runs["validator"]
    assert code == 2 and "too low \\x1b]52;c;ZXZpbA==\\x07" in err
    assert (world.root / "svc" / f"name{OSC52}.txt").is_file()  # the file keeps its name; only its display changes


@pytest.mark.parametrize(
    ("value", "recorded"),
    [
        ("{{ 7*7 }}", "{{ 7*7 }}"),
        ("{{% if true %}}yes{{% endif %}}", "{{% if true %}}yes{{% endif %}}"),
        ("a {{ x }} \\ back{{# c #}}slash", "a {{ x }} \\ back{{# c #}}slash"),
        ("{{% endraw %}}{{", "{{% endraw %}}{{"),
        ("{service_name}: {{ 7*7 }}", "payments: { 7*7 }"),  # with placeholders, {{ is a literal brace
    ],
)
def test_template_init_writes_org_defaults_as_literals_never_as_jinja(
    tmp_path: Path, value: str, recorded: str
) -> None:
    code, _, err = scaffold(tmp_path, "template", "init", "acme-go", "-d", f"description={value}")
    assert code == 0, err
    code, out, err = scaffold(tmp_path, "new", "payments", "--template", str(tmp_path / "acme-go"), "--defaults")
    assert code == 0, out + err
    answers = yaml.safe_load((tmp_path / "payments" / ".copier-answers.yml").read_text())
    assert answers["description"] == recorded


def test_template_init_refuses_a_brace_that_is_neither_a_placeholder_nor_doubled(tmp_path: Path) -> None:
    code, _, err = scaffold(tmp_path, "template", "init", "acme-go", "-d", "description={% if true %}")
    assert code == 2
    assert err == (
        "error: description '{% if true %}': placeholder {% if true %} is not an answer name; accepted: {name} "
        "placeholders of answers, {{ and }} for literal braces\n"
    )
    assert not (tmp_path / "acme-go").exists()


def test_a_message_before_copying_of_gigabytes_is_refused_before_it_is_built(world: World) -> None:
    # shown before the questions (as copier shows it), so rendered outside the render's own bounds
    template = hostile_template(
        world.root / "hostile", world, settings(_message_before_copy="{{{{ 'x'.ljust(10 ** 10) }}}}")
    )
    (world.root / "work").mkdir()
    before = world.snapshot()

    result = scaffold(world.root / "work", "new", "svc", "--template", str(template), "--defaults")

    assert_refused(result, "new", world, before, "a text longer than 512 MiB from str.ljust (SCAFFOLD_LIMIT_BYTES)")
    assert_one_line(result, "new")
    assert list((world.root / "work").iterdir()) == []


@pytest.mark.parametrize(
    ("attack", "limit", "value"),
    [("a default that runs for hours", "RENDER_SECONDS", "3"), ("a default of a gigabyte built in C", "MEMORY", "")],
)
def test_a_question_is_held_to_the_render_time_and_memory_limits(
    world: World, attack: str, limit: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a default renders before any file, outside the render's deadline and memory cap: it needs its own
    monkeypatch.setenv(f"SCAFFOLD_LIMIT_{limit}", value or str(MEMORY_LIMIT))
    before = resource.getrlimit(resource.RLIMIT_AS)
    template = hostile_template(world.root / "hostile", world, QUESTIONS[attack])
    try_folder_commands(world, template, attack, ())
    try_repo_commands(world, benign_template(world.root / "released"), attack, ())
    assert resource.getrlimit(resource.RLIMIT_AS) == before


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ("{{{{ range(10 ** 9) | list }}}}", "Range too big"),
        ("{{% macro f(n) %}}{{{{ f(n + 1) }}}}{{% endmacro %}}{{{{ f(0) }}}}", "maximum recursion depth exceeded"),
    ],
)
def test_a_message_jinja_cannot_render_is_a_one_line_refusal_not_a_bug(
    world: World, message: str, problem: str
) -> None:
    for key in ("_message_before_copy", "_message_after_copy"):
        template = hostile_template(world.root / f"hostile{key}", world, settings(**{key: message}))
        (world.root / "work").mkdir(exist_ok=True)
        result = scaffold(world.root / "work", "new", f"svc{key}", "--template", str(template), "--defaults")
        code, _, err = result
        assert (code, err.count("\n")) == (2, 1), err
        assert err.startswith("error: the template's copier.yml cannot be rendered at message: ") and problem in err
