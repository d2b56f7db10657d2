"""Who is trusted: canonical identities of template sources, `bundled:` names, and the git commands scaffold runs."""

import os
import resource
import tempfile
from pathlib import Path, PurePosixPath

import pytest

from generator.config import OrgConfig, parse
from generator.errors import ConfigError, TemplateError, TemplateRefusedError
from generator.rerender import same_template
from generator.sources import TemplateSource
from generator.trust.consent import Consent
from generator.trust.guard import inside_path, is_git_name
from generator.trust.identity import SourceIdentity, expand_shorthand, identify, is_git_url, trust_entry
from generator.trust.limits import MemoryLimitExceeded, memory_cap, uncapped
from generator.trust.limits import current as current_limits
from tests.cli import scaffold
from tests.hostile_templates import NEEDS_CONSENT, World, benign_template, git_template, hostile_template
from tests.template_repos import git


def trusted_by(config: OrgConfig, src: str) -> bool:
    """Whether the org config's trusted entries give consent to the template `src`, as every command decides it."""
    return Consent(entries=tuple(config.trusted)).covers(TemplateSource(src=src, recorded_src=src))


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path).prepare()


@pytest.mark.parametrize(
    ("entry", "source", "admitted"),
    [
        ("gh:acme/", "gh:acme/service-template", True),
        ("gh:acme/", "https://github.com/acme/service-template.git", True),
        ("gh:acme/", "git@github.com:acme/service-template.git", False),  # ssh is another transport
        ("git@github.com:acme/", "ssh://git@github.com/acme/service-template.git", True),
        ("git@github.com:acme/", "ssh://git@github.com:2222/acme/service-template.git", False),
        ("gh:acme/", "git://github.com/acme/service-template", False),  # plain text, open to anyone on the path
        ("gh:acme/", "git://github.com:19418/acme/service-template", False),
        ("gh:acme/", "http://github.com/acme/service-template", False),
        ("gh:acme/", "https://github.com:8443/acme/service-template", False),
        ("gh:acme/", "https://github.com:443/acme/service-template", True),  # the scheme's own port, spelt out
        ("https://git.example:8443/acme/", "https://git.example:8443/acme/tpl", True),
        ("https://git.example:8443/acme/", "https://git.example/acme/tpl", False),
        ("gh:acme/", "https://user@GitHub.com/acme/service-template", True),
        ("gh:acme/", "gh:acme-evil/service-template", False),
        ("gh:acme/", "gh:acmecorp/x", False),
        ("gh:acme/", "gl:acme/service-template", False),
        ("gh:acme/", "https://github.com.evil.example/acme/x", False),
        ("gh:acme/", "https://evil.example/github.com/acme/x", False),
        ("gh:acme/", "gh:ACME/x", False),  # owners compared exactly: a look-alike is refused, never admitted
        ("gh:acme/", "gh:acme", False),  # the owner itself is not a repository under it
        ("gh:acme/tpl", "gh:acme/tpl.git", True),
        ("gh:acme/tpl", "gh:acme/tpl-evil", False),
        ("gh:acme/tpl", "gh:acme/tpl/sub", False),
    ],
)
def test_git_trust_entries_admit_by_host_and_path_segments(entry: str, source: str, admitted: bool) -> None:
    assert trust_entry(entry).admits(identify(source)) is admitted


@pytest.mark.parametrize(
    "source",
    [
        "file://trusted/tmp/evil",
        "file://host/x",
        "file:///tmp/%2e%2e/evil",
        "gh:acme/../evil",
        "gh:acme/./x",
        "gh:acme/%2e%2e/evil",
        "gh:acme%2Fevil",
        "https://github.com/acme//x",
        "gh:acme/x?ref=evil",
        "gh:acme\\evil",
        "gh:acme/x#frag",
        "gh:acme/ x",
        "https://github.com:99999/acme/x",
        "https://github.com:x/acme/x",
    ],
)
def test_spellings_that_hide_a_repository_are_refused(source: str) -> None:
    with pytest.raises(TemplateError, match="is not valid"):
        identify(source)


def test_folder_trust_is_by_real_path_component_by_component(tmp_path: Path) -> None:
    (tmp_path / "templates" / "api").mkdir(parents=True)
    (tmp_path / "templates-evil").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "templates" / "link").symlink_to(tmp_path / "elsewhere")
    under = trust_entry(f"{tmp_path}/templates/")
    assert under.admits(identify(str(tmp_path / "templates" / "api")))
    assert under.admits(identify(str(tmp_path / "templates" / "x" / ".." / "api")))
    assert not under.admits(identify(str(tmp_path / "templates-evil")))
    assert not under.admits(identify(str(tmp_path / "templates" / "link")))  # a link out is where it leads
    assert not under.admits(identify(str(tmp_path / "templates" / ".." / "templates-evil")))
    exact = trust_entry(str(tmp_path / "templates" / "api"))
    assert exact.admits(identify(f"file://{tmp_path}/templates/api"))
    assert not exact.admits(identify(str(tmp_path / "templates" / "api" / "sub")))


def test_a_relative_trusted_folder_is_taken_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "org" / "templates").mkdir(parents=True)
    config = parse({"trusted": ["templates/"]}, tmp_path / "org" / "config.toml")
    assert trusted_by(config, str(tmp_path / "org" / "templates" / "api"))
    assert not trusted_by(config, str(tmp_path / "templates" / "api"))


def test_a_trusted_entry_that_hides_a_repository_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('trusted = ["gh:acme/../"]\n')
    code, _, err = scaffold(tmp_path, "templates", "--config", str(config))
    assert code == 2
    assert err.startswith(f"error: config {config}: trusted: template source 'gh:acme/..' is not valid")


def test_a_look_alike_of_a_trusted_folder_runs_nothing(world: World) -> None:
    root = world.root
    (root / "templates").mkdir()
    trusted = hostile_template(root / "templates" / "api", world, NEEDS_CONSENT["task"])
    evil = hostile_template(root / "templates-evil", world, NEEDS_CONSENT["task"])
    (root / "templates" / "link").symlink_to(evil)
    config = root / "config.toml"
    config.write_text(f'trusted = ["{root}/templates/"]\n')
    for name, template in (("evil", evil), ("linked", root / "templates" / "link")):
        code, _, err = scaffold(root, "new", name, "--template", str(template), "--defaults", "--config", str(config))
        assert code == 2 and "wants to run code on this machine" in err, err
        assert not world.canary.exists() and not (root / name).exists()
    code, out, err = scaffold(root, "new", "ok", "--template", str(trusted), "--defaults", "--config", str(config))
    assert code == 0, out + err
    assert world.canary.exists()  # the trusted template's task ran


def test_bundled_names_only_the_templates_shipped_with_scaffold(world: World) -> None:
    evil = hostile_template(world.root / "evil", world, NEEDS_CONSENT["task"])
    for spelling in (f"bundled:{evil}", "bundled:../../evil", "bundled:go-service/../../evil"):
        code, _, err = scaffold(world.root, "new", "svc", "--template", spelling, "--defaults")
        assert code == 2, err
        assert err.startswith(f"error: template {spelling} is not bundled with scaffold; accepted: bundled:go-service")
    assert not world.canary.exists() and not (world.root / "svc").exists()


def test_an_answers_file_naming_a_folder_as_bundled_is_refused_by_check_and_update(world: World) -> None:
    evil = hostile_template(world.root / "evil", world, NEEDS_CONSENT["task"])
    template = git_template(benign_template(world.root / "tpl"))
    code, out, err = scaffold(world.root, "new", "svc", "--template", str(template), "--defaults")
    assert code == 0, out + err
    repo = world.root / "svc"
    answers = repo / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace(f"_src_path: {template}", f"_src_path: bundled:{evil}"))
    git(repo, "commit", "-qam", "Point the answers file at a folder")
    head = git(repo, "rev-parse", "HEAD")
    for args in (("check",), ("update", "--plan"), ("update",), ("check", "svc", "svc"), ("update", "svc", "svc")):
        code, out, err = scaffold(repo if len(args) < 3 else world.root, *args)
        assert code == 2, (args, out, err)
        # refused, before anything is rendered, as not the template the repo's history was rendered from
        assert f"_src_path bundled:{evil} in .copier-answers.yml of {repo} is not the template its history" in out + err
    assert not world.canary.exists()
    assert git(repo, "rev-parse", "HEAD") == head and git(repo, "status", "--porcelain") == ""


def test_scaffolds_git_commands_run_no_hook_and_no_fsmonitor_of_the_users_repo(world: World) -> None:
    template = git_template(benign_template(world.root / "tpl"))
    code, out, err = scaffold(world.root, "new", "svc", "--template", str(template), "--defaults")
    assert code == 0, out + err
    repo = world.root / "svc"
    git(repo, "config", "core.fsmonitor", f"{world.command}; false")
    hooks = repo / ".git" / "hooks"
    for hook in (
        "pre-commit",
        "post-commit",
        "post-merge",
        "pre-merge-commit",
        "reference-transaction",
        "post-checkout",
    ):
        (hooks / hook).write_text(f"#!/bin/sh\n{world.command}\n")
        (hooks / hook).chmod(0o755)
    (template / "README.md.jinja").write_text("# {{ service_name }}\n\nA second version.\n")
    git(template, "commit", "-qam", "Second version")
    git(template, "tag", "v1.1.0")
    for args in (("check",), ("update", "--plan"), ("update",)):
        code, out, err = scaffold(repo, *args)
        assert code in (0, 1), (args, out, err)
        assert not world.canary.exists(), f"{args}: a hook or the fsmonitor ran"
    assert "A second version." in (repo / "README.md").read_text()
    git(repo, "status")  # the user's own git still runs them, as configured
    assert world.canary.exists()


def test_pretend_creates_no_parent_folder_and_nothing_beside_the_destination(tmp_path: Path) -> None:
    code, out, err = scaffold(tmp_path, "new", "svc", str(tmp_path / "a" / "b" / "svc"), "--defaults", "--pretend")
    assert code == 0, out + err
    assert "Would create" in out and "Dockerfile" in out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["../escape", "/abs/x", ".git", "a/b", "..", ""])
def test_template_test_refuses_answer_set_names_that_are_not_plain_names(world: World, name: str) -> None:
    template = benign_template(world.root / "tpl")
    (template / "scaffold-tests.yml").write_text(f"answer_sets:\n  {name!r}: {{}}\n")
    code, _, err = scaffold(world.root, "template", "test", str(template), "--trust")
    assert code == 2
    assert f"answer set name {name!r} is not valid" in err
    assert sorted(p.name for p in world.root.iterdir()) == ["outside", "tpl"]


@pytest.mark.slow
def test_template_test_builds_and_runs_a_templates_go_code_only_with_consent(
    world: World, go_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("PATH", "GOTOOLCHAIN", "GOPROXY", "GOFLAGS", "CGO_ENABLED", "GOCACHE", "GOPATH"):
        monkeypatch.setenv(key, go_env[key])
    template = benign_template(world.root / "tpl")
    (template / "go.mod").write_text("module example.com/svc\n\ngo 1.25\n")
    (template / "svc.go").write_text("// Package svc is a service.\npackage svc\n")
    (template / "svc_test.go").write_text(
        'package svc\n\nimport (\n\t"os"\n\t"testing"\n)\n\n'
        f'func init() {{ _ = os.WriteFile("{world.canary}", nil, 0o600) }}\n\n'
        "func TestNothing(t *testing.T) {}\n"
    )
    code, _, err = scaffold(world.root, "template", "test", str(template))
    assert code == 2
    assert err.startswith(f"error: template {template}: `template test` compiles and runs its code")
    assert not world.canary.exists()
    code, out, _ = scaffold(world.root, "template", "test", str(template), "--trust", "--skip", "hadolint")
    assert world.canary.exists(), out  # with consent its tests ran


def test_the_git_commands_copier_runs_while_rendering_are_hardened_too() -> None:
    import copier  # noqa: F401  (copier's plumbum takes its copy of the environment on import)
    from plumbum import local

    from generator.render import _hardened_git_for_copier

    with _hardened_git_for_copier():
        seen = {
            key: local["git"]("config", "--get", key, retcode=None).strip()
            for key in ("core.fsmonitor", "core.hooksPath")
        }
    assert seen == {"core.fsmonitor": "false", "core.hooksPath": os.devnull}
    assert local["git"]("config", "--get", "core.hooksPath", retcode=None).strip() != os.devnull  # only while rendering


def test_a_file_url_with_a_host_cannot_borrow_a_trusted_folders_name(world: World) -> None:
    evil = git_template(hostile_template(world.root / "evil", world, NEEDS_CONSENT["task"]))
    (world.root / "trusted").mkdir()
    config = world.root / "config.toml"
    config.write_text(f'trusted = ["{world.root}/trusted/"]\n')
    spoof = f"file://trusted{evil}"  # git ignores the host and clones the evil folder
    code, _, err = scaffold(
        world.root / "trusted", "new", "svc", "--template", spoof, "--defaults", "--config", str(config)
    )
    assert code == 2
    assert "a file:// URL names a folder on this machine; accepted: file:///PATH, without a host" in err
    assert not world.canary.exists() and not (world.root / "trusted" / "svc").exists()
    assert identify(f"file://{evil}") == identify(str(evil))


@pytest.mark.parametrize(
    "name",
    [
        ".git",
        ".GIT",
        ".Git",
        ".git.",
        ".git ",
        ".git. .",
        ".g\u200cit",
        "\u200b.git",
        ".git::$INDEX_ALLOCATION",
        ".git:stream",
        "GIT~1",
        "git~1",
        "\uff0e\uff47\uff49\uff54",
    ],
)
def test_every_spelling_a_file_system_takes_for_dot_git_is_a_git_name(name: str) -> None:
    assert is_git_name(name)


@pytest.mark.parametrize("name", ["git", ".github", ".gitignore", "x.git", "a:.git", "git~2", ".git~1", "..git"])
def test_names_that_only_look_like_dot_git_are_not(name: str) -> None:
    assert not is_git_name(name)


@pytest.mark.parametrize(
    ("value", "expected"), [("answers.yml", "answers.yml"), ("a\\b.yml", "a/b.yml"), ("x/.gitkeep", "x/.gitkeep")]
)
def test_a_path_inside_the_repo_is_accepted_with_backslashes_as_slashes(value: str, expected: str) -> None:
    assert inside_path("_answers_file", value) == PurePosixPath(expected)


@pytest.mark.parametrize("value", ["", "  ", "/etc/x", "../x", "a/../../x", "a\\..\\x", "~/x", "~"])
def test_a_path_leaving_the_repo_is_refused_naming_where_it_came_from(value: str) -> None:
    with pytest.raises(TemplateRefusedError) as refused:
        inside_path("_answers_file", value)
    assert refused.value.message == (
        f"_answers_file {value!r} points outside the new repo; accepted: a path inside it (refused, trusted or not)"
    )


@pytest.mark.parametrize("value", [".git/config", "sub/.GIT/x", "a\\.git\\hooks\\pre-commit", ".git"])
def test_a_path_at_or_under_dot_git_is_refused_naming_where_it_came_from(value: str) -> None:
    with pytest.raises(TemplateRefusedError) as refused:
        inside_path("answer set name", value)
    assert refused.value.message == (
        f"answer set name {value!r} is at or under .git; accepted: a path outside .git (refused, trusted or not)"
    )


@pytest.mark.parametrize(
    ("src", "identity"),
    [
        ("gh:acme/svc", "https://github.com/acme/svc"),
        ("gh:/acme/svc", "https://github.com/acme/svc"),
        ("gl:acme/svc.git", "https://gitlab.com/acme/svc"),
        ("https://GitHub.com./acme/svc.git/", "https://github.com/acme/svc"),
        ("git+https://user@github.com:443/acme/svc", "https://github.com/acme/svc"),
        ("ssh://git@[::1]:22/acme/svc", "ssh://[::1]/acme/svc"),
        ("git@github.com:acme/svc.git", "ssh://github.com/acme/svc"),
        ("git://host.example/a/b/c.git", "git://host.example/a/b/c"),
        ("git+host.example:acme/x", "ssh://host.example/acme/x"),
        ("https://h.example/a/git+", "https://h.example/a/git+"),
        ("file:///opt/templates/t", "/opt/templates/t"),
        ("file://localhost/opt/templates/t", "/opt/templates/t"),
        ("bundled:go-service", "bundled:go-service"),
    ],
)
def test_each_spelling_of_a_source_comes_down_to_one_identity(src: str, identity: str) -> None:
    assert str(identify(src)) == identity


@pytest.mark.parametrize(
    ("src", "why"),
    [
        (
            "https://github.com/acme/%2e%2e/svc",
            "percent-encoding, backslashes, spaces, queries and fragments are not accepted",
        ),
        (
            "https://github.com/acme/svc?x=1",
            "percent-encoding, backslashes, spaces, queries and fragments are not accepted",
        ),
        ("https://github.com/acme/../svc", "empty, '.' and '..' path segments are not accepted"),
        ("https://github.com//svc", "empty, '.' and '..' path segments are not accepted"),
        ("https:///acme/svc", "empty, '.' and '..' path segments are not accepted"),
        ("https://github.com/acme/x://y", "empty, '.' and '..' path segments are not accepted"),
        ("https://h.example/a://evil.example/c/d", "empty, '.' and '..' path segments are not accepted"),
        ("https://[::1]]/acme/svc", "port ']' is not valid; accepted: a number from 1 to 65535"),  # after `]`: a port
        ("git@:acme/svc", "accepted: a URL such as https://host/owner/repo, git@host:owner/repo or gh:owner/repo"),
        (
            "file://evil.example/opt/t",
            "a file:// URL names a folder on this machine; accepted: file:///PATH, without a host",
        ),
        ("file:///opt/t%20x", "percent-encoding, backslashes, spaces, queries and fragments are not accepted"),
    ],
)
def test_a_source_spelt_to_hide_which_repository_it_is_is_refused_saying_why(src: str, why: str) -> None:
    with pytest.raises(TemplateError) as refused:
        identify(src)
    assert refused.value.message == f"template source {src!r} is not valid: {why}"


def test_a_source_lies_within_another_by_whole_components_of_the_same_kind_and_host() -> None:
    owner, repo = identify("gh:acme"), identify("gh:acme/svc")
    assert repo.is_within(owner) and repo.is_within(repo)
    assert not owner.is_within(repo)
    assert not identify("gl:acme/svc").is_within(owner)
    assert identify("/acme/svc").is_within(identify("/acme")) and not identify("/acme-evil").is_within(
        identify("/acme")
    )
    assert not identify("file:///github.com/acme/svc").is_within(owner)  # a folder is never within a git host
    assert str(SourceIdentity("folder", "", ())) == ""


def test_a_git_url_is_told_from_a_folder_named_like_one(tmp_path: Path) -> None:
    assert is_git_url("git://host/x") and is_git_url("gl:acme/x") and is_git_url(str(tmp_path / "repo.git"))
    (tmp_path / "folder.git").mkdir()
    assert not is_git_url(str(tmp_path / "folder.git"))
    assert not is_git_url("./templates/go")
    assert expand_shorthand("gh:acme/x") == "https://github.com/acme/x"
    assert expand_shorthand("gh:Xavier/x") == "https://github.com/Xavier/x"
    assert expand_shorthand("gl://acme/x") == "https://gitlab.com/acme/x"
    assert expand_shorthand("ssh://gh:acme/x") == "ssh://gh:acme/x"


def test_a_trusted_entry_ending_in_a_slash_covers_what_is_under_it_only() -> None:
    entry = trust_entry("gh:acme/")
    assert (entry.text, entry.covers_children, str(entry.identity)) == ("gh:acme/", True, "https://github.com/acme")
    assert entry.admits(identify("gh:acme/svc")) and not entry.admits(identify("gh:acme"))
    exact = trust_entry("gh:acme/svc")
    assert not exact.covers_children and exact.admits(identify("gh:acme/svc.git"))
    assert str(trust_entry("/").identity) == "/"
    assert str(trust_entry("gh:acmeX/").identity) == "https://github.com/acmeX"


@pytest.mark.parametrize(
    ("recorded", "edited", "same"),
    [
        ("https://git.example/acme/tpl", "https://git.example:443/acme/tpl.git", True),
        ("https://git.example/acme/tpl", "https://git.example:8443/acme/tpl", False),
        ("https://git.example/acme/tpl", "http://git.example/acme/tpl", False),
        ("https://git.example/acme/tpl", "git://git.example/acme/tpl", False),
        ("https://git.example/acme/tpl", "git@git.example:acme/tpl", False),
        ("git@git.example:acme/tpl", "ssh://git@git.example/acme/tpl", True),
    ],
)
def test_update_and_check_compare_src_path_by_scheme_host_port_and_path(recorded: str, edited: str, same: bool) -> None:
    assert same_template(recorded, edited) is same


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]52;c;ZXZpbA==\x07", "\\x1b]52;c;ZXZpbA==\\x07"),  # OSC 52: a clipboard write
        ("\x1b]8;;https://evil\x1b\\text", "\\x1b]8;;https://evil\\x1b\\text"),  # OSC 8: a disguised link
        ("over\rwrite", "over\\x0dwrite"),
        ("\x9b31m", "\\x9b31m"),  # CSI as one C1 byte
        ("\u202eevil", "\\u202eevil"),  # right-to-left override
        ("two\nlines\tand a tab, café", "two\nlines\tand a tab, café"),
    ],
)
def test_template_text_reaches_the_terminal_with_escapes_shown(raw: str, shown: str) -> None:
    from generator.terminal_text import safe

    assert safe(raw) == shown


def test_an_error_line_is_one_line_and_bounded() -> None:
    from generator.terminal_text import safe_line

    line = safe_line("start\n" + "x" * 10_000 + "\x1b[2J end", limit=200)
    assert "\n" not in line and "\x1b" not in line
    assert line.startswith("start x") and line.endswith("x\\x1b[2J end (10017 characters, cut)")
    assert len(line) < 260


def test_yaml_aliases_are_measured_without_being_expanded() -> None:
    from generator.trust.bounded_yaml import load
    from tests.hostile_templates import billion_laughs

    assert load("a: &x [1, 2]\nb: *x\n", "f") == {"a": [1, 2], "b": [1, 2]}
    for text, rule in (
        (billion_laughs(), "f expands to more than 100000 YAML nodes through its aliases (a YAML bomb)"),
        ("a: &x [*x]\n", "f has a YAML alias that contains itself"),
        ("[" * 300 + "]" * 300, "f nests YAML collections more than 200 deep"),
    ):
        with pytest.raises(TemplateError) as refused:
            load(text, "f")
        assert refused.value.message.startswith(rule)


@pytest.mark.parametrize(("port", "valid"), [("0", False), ("1", True), ("65535", True), ("65536", False)])
def test_a_git_url_port_must_be_from_1_to_65535(port: str, valid: bool) -> None:
    src = f"https://example.com:{port}/acme/t.git"
    if valid:
        assert identify(src).port == int(port)
        return
    with pytest.raises(TemplateError) as raised:
        identify(src)
    assert raised.value.message == (
        f"template source {src!r} is not valid: port {port!r} is not valid; accepted: a number from 1 to 65535"
    )


def test_a_url_whose_scheme_is_no_git_transport_is_refused_naming_the_transports() -> None:
    with pytest.raises(TemplateError) as raised:
        identify("ftp://example.com/acme/t.git")

    assert raised.value.message == (
        "template source 'ftp://example.com/acme/t.git' is not valid: scheme 'ftp' is not a git transport; "
        "accepted: https, http, ssh, git"
    )


def test_a_relative_folder_without_a_base_is_taken_from_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert identify("templates/t") == identify(str(tmp_path / "templates" / "t"))
    assert identify(str(tmp_path / "x"), base=Path("/elsewhere")) == identify(str(tmp_path / "x"))


def _config_with(folder: Path, copier_yml: str, files: dict[str, str]) -> Path:
    folder.mkdir()
    (folder / "copier.yml").write_text(copier_yml)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder / "copier.yml"


def test_what_copier_yml_includes_counts_where_the_include_stands() -> None:
    from generator.trust.bounded_yaml import measure_config
    from tests.hostile_templates import billion_laughs

    def ten(alias: str) -> str:
        return "[" + ", ".join([f"*{alias}"] * 10) + "]"

    cases = {  # copier.yml, the files beside it, what the refusal says (None: within the bounds)
        "plain include": ("---\n!include q.yml\n", {"q.yml": "name: {type: str}\n"}, None),
        "include by glob": ("---\n!include '*.part.yml'\n", {"a.part.yml": "a: 1\n", "b.part.yml": "b: 2\n"}, None),
        "bomb in the included file": (
            "---\n!include bomb.yml\n",
            {"bomb.yml": billion_laughs()},
            "bomb.yml (`!include bomb.yml`) expands to more than 100000 YAML nodes",
        ),
        "bomb in a file the included file includes": (
            "---\n!include a.yml\n",
            {"a.yml": "x: !include bomb.yml\n", "bomb.yml": billion_laughs()},
            "bomb.yml (`!include bomb.yml`) expands to more than 100000 YAML nodes",
        ),
        "a small include repeated through aliases": (  # 1000 copies of a file of 101 nodes: no file is large alone
            f"a: &x [!include q.yml]\nb: &y {ten('x')}\nc: &z {ten('y')}\nd: {ten('z')}\n",
            {"q.yml": "[" + ", ".join(["1"] * 100) + "]\n"},
            "copier.yml expands to more than 100000 YAML nodes",
        ),
        "a file that includes itself": ("---\n!include a.yml\n", {"a.yml": "x: !include a.yml\n"}, "includes itself"),
        "an include outside the template": ("---\n!include ../outside.yml\n", {}, "is outside the template"),
    }
    for case, (copier_yml, files, rule) in cases.items():
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "outside.yml").write_text("token: s3cr3t\n")
            path = _config_with(Path(tmp) / "tpl", copier_yml, files)
            if rule is None:
                measure_config(path, path.parent)
                continue
            with pytest.raises(TemplateRefusedError) as refused:
                measure_config(path, path.parent)
            assert rule in refused.value.message, f"{case}: {refused.value.message}"
            assert "s3cr3t" not in refused.value.message


def test_an_included_billion_laughs_is_refused_by_new_in_one_line_and_bounded_memory(tmp_path: Path) -> None:
    import resource
    import subprocess
    import sys

    from tests.hostile_templates import yaml_bomb_in_an_include

    world = World(tmp_path).prepare()
    template = hostile_template(tmp_path / "hostile", world, yaml_bomb_in_an_include)

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # the bomb expanded takes far more

    command = [sys.executable, "-c", "from generator.cli import main; main()", "new", "svc", "--defaults", "--trust"]
    run = subprocess.run(
        [*command, "--template", str(template)], cwd=tmp_path, capture_output=True, text=True, timeout=300,
        preexec_fn=limited,
    )  # fmt: skip
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("error: "), run.stderr
    assert "settings.yml (`!include settings.yml`) expands to more than 100000 YAML nodes" in run.stderr
    assert not (tmp_path / "svc").exists()


needs_proc = pytest.mark.skipif(
    not Path("/proc/self/statm").is_file() or resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY,
    reason="needs /proc and no address-space limit of its own",
)


@needs_proc
def test_the_memory_cap_holds_the_block_lifts_for_its_tasks_and_is_restored_after() -> None:
    before = resource.getrlimit(resource.RLIMIT_AS)
    with pytest.raises(MemoryLimitExceeded), memory_cap(64 << 20):
        capped = resource.getrlimit(resource.RLIMIT_AS)
        assert capped[0] != resource.RLIM_INFINITY and capped[1] == before[1]
        with uncapped():
            assert resource.getrlimit(resource.RLIMIT_AS) == before
        assert resource.getrlimit(resource.RLIMIT_AS) == capped
        bytearray(1 << 30)
    assert resource.getrlimit(resource.RLIMIT_AS) == before


@needs_proc
def test_the_memory_cap_counts_its_budget_above_the_address_space_held_resident_or_not() -> None:
    import mmap

    # in this process, not a subprocess: mutmut runs a test against a function's mutants only when the
    # test calls the function in its own process
    before = resource.getrlimit(resource.RLIMIT_AS)
    reserved = mmap.mmap(-1, 1 << 30, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)  # held, never resident
    try:
        with memory_cap(256 << 20):
            assert len(bytearray(128 << 20)) == 128 << 20
    finally:
        reserved.close()
        resource.setrlimit(resource.RLIMIT_AS, before)


HARD_LIMIT_BELOW_THE_BUDGET = """
import os, resource
from pathlib import Path
from generator.trust.limits import MemoryLimitExceeded, memory_cap

hard = int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE") + (1 << 30)
resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
with memory_cap(256 << 20):  # the budget is the lower: it holds
    assert resource.getrlimit(resource.RLIMIT_AS)[1] == hard
    assert len(bytearray(128 << 20)) == 128 << 20
    try:
        bytearray(512 << 20)
        raise AssertionError("512 MiB allocated under a cap of 256 MiB")
    except MemoryError:
        pass
assert resource.getrlimit(resource.RLIMIT_AS) == (hard, hard)
try:
    with memory_cap(2 << 30):  # the hard limit is the lower: it is the user's, and so is its MemoryError
        assert resource.getrlimit(resource.RLIMIT_AS) == (hard, hard)
        bytearray(2 << 30)
except MemoryLimitExceeded:
    raise AssertionError("the user's own limit reported as the render's")
except MemoryError:
    print("refused as the user's")
assert resource.getrlimit(resource.RLIMIT_AS) == (hard, hard)
"""


@needs_proc
def test_under_a_hard_address_space_limit_the_cap_is_the_budget_or_the_hard_limit_whichever_is_lower() -> None:
    import subprocess
    import sys

    import generator

    # in a subprocess: lowering a hard limit cannot be undone without CAP_SYS_RESOURCE, which even root may lack
    code = str(Path(generator.__file__).parents[1])
    run = subprocess.run(
        [sys.executable, "-c", HARD_LIMIT_BELOW_THE_BUDGET], env={**os.environ, "PYTHONPATH": code},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0 and run.stdout == "refused as the user's\n", run.stderr


@needs_proc
def test_a_lower_address_space_limit_already_set_is_kept_and_its_memory_error_is_not_the_renders() -> None:
    before = resource.getrlimit(resource.RLIMIT_AS)
    lower = int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE") + (128 << 20)
    resource.setrlimit(resource.RLIMIT_AS, (lower, before[1]))
    try:
        with pytest.raises(MemoryError) as raised, memory_cap(1 << 30):
            assert resource.getrlimit(resource.RLIMIT_AS)[0] == lower
            bytearray(1 << 30)
        assert not isinstance(raised.value, MemoryLimitExceeded)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, before)


def test_the_memory_limit_is_a_whole_number_of_bytes_from_its_variable() -> None:
    assert current_limits({"SCAFFOLD_LIMIT_MEMORY": str(256 << 20)}).memory == 256 << 20
    assert current_limits({}).memory == 2 << 30
    with pytest.raises(ConfigError) as refused:
        current_limits({"SCAFFOLD_LIMIT_MEMORY": "1.5"})
    assert str(refused.value) == "SCAFFOLD_LIMIT_MEMORY '1.5' is not valid; accepted: a number above 0 (whole)"
