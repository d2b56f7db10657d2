"""Who is trusted: canonical identities of template sources, `bundled:` names, and the git commands scaffold runs."""

import os
from pathlib import Path

import pytest

from generator.config import parse
from generator.errors import TemplateError
from generator.rerender import same_template
from generator.trust.identity import identify, trust_entry
from tests.cli import scaffold
from tests.hostile_templates import NEEDS_CONSENT, World, benign_template, git_template, hostile_template
from tests.template_repos import git


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
    assert config.trusts(str(tmp_path / "org" / "templates" / "api"))
    assert not config.trusts(str(tmp_path / "templates" / "api"))


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
