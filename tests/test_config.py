"""The org config: where it is found, every way it can be wrong, and how its answers reach `scaffold new`."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import config as org_config
from generator.collect import collect_answers
from generator.config import OrgAnswers
from generator.errors import ConfigError, InvalidAnswerError
from generator.new import template_config
from generator.questions import Question
from generator.sources import bundled
from tests.cli import scaffold
from tests.template_repos import make_git_template, release
from tests.test_trust import trusted_by


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --- discovery ---------------------------------------------------------------------------------------------------


def test_config_is_found_through_flag_then_environment_then_user_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    xdg = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    assert org_config.find() is None  # nothing anywhere: no config, and that is fine
    user_file = write(xdg / "scaffold" / "config.toml", 'default_template = "go-service"\n')
    assert org_config.user_config_path() == user_file
    assert org_config.find() == user_file
    from_env = write(tmp_path / "env.toml", "")
    monkeypatch.setenv("SCAFFOLD_CONFIG", str(from_env))
    assert org_config.find() == from_env
    explicit = write(tmp_path / "explicit.toml", "")
    assert org_config.find(explicit) == explicit


def test_an_empty_environment_variable_counts_as_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCAFFOLD_CONFIG", "  ")
    assert org_config.find() is None


@pytest.mark.parametrize("via", ["flag", "env"])
def test_a_named_config_file_that_does_not_exist_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, via: str
) -> None:
    missing = tmp_path / "nope.toml"
    args = ["templates"]
    if via == "flag":
        args += ["--config", str(missing)]
    else:
        monkeypatch.setenv("SCAFFOLD_CONFIG", str(missing))
    code, _, err = scaffold(tmp_path, *args)
    assert code == 2
    assert err.strip().count("\n") == 0
    assert str(missing) in err
    assert ("--config" if via == "flag" else "$SCAFFOLD_CONFIG") in err


def test_the_user_config_is_used_by_scaffold_new_without_any_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    xdg = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    write(xdg / "scaffold" / "config.toml", '[defaults]\nmodule_path = "git.acme.dev/svc/{service_name}"\n')
    code, _, err = scaffold(tmp_path, "new", "ledger", "--defaults", "--no-git")
    assert code == 0, err
    answers = yaml.safe_load((tmp_path / "ledger" / ".copier-answers.yml").read_text())
    assert answers["module_path"] == "git.acme.dev/svc/ledger"


# --- every config error: one line naming the file, the key and the problem, exit 2 ----------------------------------

BAD_CONFIGS = {
    "toml syntax": ("[defaults]\nmemory_limit = 512Mi\n", "defaults.memory_limit|memory_limit", "TOML syntax"),
    "unclosed table": ("[templates.acme\nsrc = 'x'\n", "[templates.acme", "TOML syntax"),
    "unknown top-level key": ('default_templates = "acme"\n', "default_templates", "unknown key"),
    "unknown catalog key": (
        '[templates.acme]\nsrc = "gh:acme/t"\nversion = "v1"\n',
        "templates.acme.version",
        "unknown key",
    ),
    "catalog entry without src": ('[templates.acme]\nref = "v1.0.0"\n', "templates.acme.src", "missing"),
    "src not a string": ("[templates.acme]\nsrc = 3\n", "templates.acme.src", "3 (an integer)"),
    "empty ref": ('[templates.acme]\nsrc = "gh:acme/t"\nref = ""\n', "templates.acme.ref", "is not valid"),
    "description not a string": (
        '[templates.acme]\nsrc = "gh:acme/t"\ndescription = ["a"]\n',
        "templates.acme.description",
        "an array",
    ),
    "catalog entry not a table": ('templates = { acme = "gh:acme/t" }\n', "templates.acme", "a table with src"),
    "catalog not a table": ('templates = "gh:acme/t"\n', "templates", "a table of [templates.NAME]"),
    "catalog name with a slash": ('[templates."acme/go"]\nsrc = "gh:acme/t"\n', "templates.acme/go", "name"),
    "default_template wrong type": ("default_template = true\n", "default_template", "(a boolean)"),
    "default_template not in catalog": ('default_template = "acme-gp"\n', "default_template", "not in the catalog"),
    "defaults not a table": ('defaults = "x"\n', "defaults", "a table of answers"),
    "default of a table": ("[defaults.memory_limit]\nvalue = 1\n", "defaults.memory_limit", "a table"),
    "invalid known answer": ('[fixed]\nruntime_image = "ubuntu"\n', "fixed.runtime_image", "accepted: distroless"),
    "invalid memory default": ('[defaults]\nmemory_limit = "lots"\n', "defaults.memory_limit", "memory_limit"),
    "placeholder in a fixed answer": (
        '[fixed]\nmodule_path = "x/{service_name}"\n',
        "fixed.module_path",
        "placeholders",
    ),
    "malformed placeholder": ('[defaults]\nmodule_path = "x/{service_name"\n', "defaults.module_path", "placeholder"),
    "numbered placeholder": ('[defaults]\nmodule_path = "x/{0}"\n', "defaults.module_path", "not an answer name"),
    "key in defaults and fixed": (
        "[defaults]\nport = 9090\n[fixed]\nport = 8080\n",
        "defaults.port",
        "also in [fixed]",
    ),
    "trusted not a list": ('trusted = "gh:acme/"\n', "trusted", "a list of template sources"),
    "fixed key no template asks": ('[fixed]\nruntime_imag = "scratch"\n', "fixed.runtime_imag", "no catalog template"),
    "default key no template asks": ("[defaults]\nprot = 9090\n", "defaults.prot", "accepted: cpu_limit, "),
    "ci not a table": ('ci = "https://pypi.acme.dev/simple"\n', "ci", "a table with scaffold_source and scaffold_pins"),
    "unknown ci key": ('[ci]\nscaffold_package = "acme-scaffold"\n', "ci.scaffold_package", "unknown key"),
    "ci without pins": (
        '[ci]\nscaffold_source = "https://pypi.acme.dev/simple"\n',
        "ci.scaffold_pins",
        "missing; accepted: an https:// URL",
    ),
    "ci source over plain http": (
        '[ci]\nscaffold_source = "http://pypi.acme.dev/simple"\nscaffold_pins = "https://p.acme.dev/s.txt"\n',
        "ci.scaffold_source",
        "accepted: a package index URL (https://...) or a git URL",
    ),
    "ci source opening an expression": (
        '[ci]\nscaffold_source = "https://x/${{ secrets.A }}"\nscaffold_pins = "https://p.acme.dev/s.txt"\n',
        "ci.scaffold_source",
        "is not valid",
    ),
    "retired scaffold_package": ('[fixed]\nscaffold_package = "acme-scaffold"\n', "fixed.scaffold_package", "[ci]"),
    "ci setting in fixed": (
        '[fixed]\nscaffold_source = "https://pypi.acme.dev/simple"\n',
        "fixed.scaffold_source",
        "[ci]",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS), ids=list(BAD_CONFIGS))
def test_a_bad_config_gets_one_line_naming_file_key_and_problem_exit_2(tmp_path: Path, case: str) -> None:
    text, key, problem = BAD_CONFIGS[case]
    config = write(tmp_path / "org.toml", text)
    code, out, err = scaffold(tmp_path, "new", "svc", "--defaults", "--config", str(config))
    assert code == 2, out
    line = err.strip()
    assert "\n" not in line, err
    assert line.startswith(f"error: config {config}: "), line
    assert any(k in line for k in key.split("|")), line
    assert problem in line, line
    assert not (tmp_path / "svc").exists()


def test_a_key_only_a_local_catalog_template_asks_is_accepted_and_other_keys_are_named(tmp_path: Path) -> None:
    folder = write(tmp_path / "templates" / "docs" / "copier.yml", "site_title:\n  type: str\n").parent
    git_template = make_git_template(tmp_path / "worker", tag="v1.0.0", source=folder)
    release(git_template, "v2.0.0", lambda t: write(t / "copier.yml", "site_title: {type: str}\nqueue: {type: str}\n"))
    catalog = f'[templates.docs]\nsrc = "templates/docs"\n[templates.worker]\nsrc = "{git_template}"\nref = "v1.0.0"\n'
    accepted = write(
        tmp_path / "ok.toml", catalog + '[defaults]\nsite_title = "Docs"\n[fixed]\nruntime_image = "scratch"\n'
    )
    assert org_config.parse_file(accepted).defaults == {"site_title": "Docs"}
    # `queue` is asked from v2.0.0 on, and the catalog pins the git template to v1.0.0
    pinned = write(tmp_path / "pinned.toml", catalog + '[fixed]\nqueue = "jobs"\n')
    with pytest.raises(ConfigError) as raised:
        org_config.parse_file(pinned)
    message = raised.value.message
    assert message.startswith(f"config {pinned}: fixed.queue: no catalog template asks it (read: ")
    assert "site_title" in message and "memory_limit" in message and "queue," not in message
    assert org_config.parse_file(
        write(tmp_path / "newest.toml", catalog.replace('ref = "v1.0.0"\n', "") + '[fixed]\nqueue = "jobs"\n')
    )


def test_a_catalog_with_a_remote_git_template_cannot_be_checked_offline_so_its_keys_are_kept(tmp_path: Path) -> None:
    config = write(tmp_path / "org.toml", '[templates.acme]\nsrc = "gh:acme/t"\n[fixed]\nteam = "payments"\n')
    assert org_config.parse_file(config).fixed == {"team": "payments"}


def test_every_command_that_reads_the_config_reports_it_the_same_way(tmp_path: Path) -> None:
    config = write(tmp_path / "org.toml", "[templates.x]\n")
    for args in (["templates"], ["template", "init", "t"]):
        code, _, err = scaffold(tmp_path, *args, "--config", str(config))
        assert (code, err.strip()) == (
            2,
            f"error: config {config}: templates.x.src: missing; accepted: a template "
            "source (bundled name, folder or git URL)",
        )


def test_a_full_config_parses_into_catalog_defaults_fixed_and_trust(tmp_path: Path) -> None:
    config = write(
        tmp_path / "org.toml",
        """
default_template = "acme-go"
trusted = ["gh:acme/"]
[templates.acme-go]
src = "gh:acme/go-service-template"
ref = "v1.4.0"
description = "Acme's Go service starter"
[templates.local]
src = "templates/acme"
[defaults]
module_path = "github.com/acme/{service_name}"
memory_limit = "512Mi"
port = 9090
[fixed]
runtime_image = "distroless"
""",
    )
    org = org_config.parse_file(config)
    assert org.default_template == "acme-go"
    assert org.templates["acme-go"].ref == "v1.4.0"
    assert org.templates["local"].description == ""
    assert org.defaults == {"module_path": "github.com/acme/{service_name}", "memory_limit": "512Mi", "port": 9090}
    assert org.fixed == {"runtime_image": "distroless"}
    assert trusted_by(org, "gh:acme/go-service-template")
    assert trusted_by(org, "https://github.com/acme/other.git")  # the same prefix, spelt as copier expands it
    assert not trusted_by(org, "gh:evil/go-service-template")
    assert org.ci is None  # the org has not said where CI installs scaffold from


def test_the_ci_table_says_where_ci_installs_scaffold_and_counts_as_fixed_answers(tmp_path: Path) -> None:
    config = write(
        tmp_path / "org.toml",
        '[ci]\nscaffold_source = "git+ssh://git@git.acme.dev/platform/scaffold.git"\n'
        'scaffold_pins = "https://git.acme.dev/platform/pins/raw/main/scaffold-ci.txt"\n',
    )
    org = org_config.parse_file(config)
    assert org.ci is not None and org.ci.scaffold_source == "git+ssh://git@git.acme.dev/platform/scaffold.git"
    assert org.answers.fixed == {
        "scaffold_source": "git+ssh://git@git.acme.dev/platform/scaffold.git",
        "scaffold_pins": "https://git.acme.dev/platform/pins/raw/main/scaffold-ci.txt",
    }
    assert org.fixed == {}  # [fixed] itself is left as written


# --- org answers in scaffold new ---------------------------------------------------------------------------------


def _bundled_config() -> Any:
    return template_config(bundled("go-service"))


def test_org_defaults_are_prefilled_in_prompts_and_fixed_answers_are_never_asked() -> None:
    asked: dict[str, Any] = {}

    def ask(question: Question, default: Any, problem: Any) -> Any:
        asked[question.key] = default
        return default

    org = OrgAnswers(
        defaults={"module_path": "github.com/acme/{service_name}", "memory_limit": "1Gi", "port": 9090},
        fixed={"runtime_image": "scratch", "enable_pprof": False},
        origin="org.toml",
    )
    answers = collect_answers(_bundled_config(), {"service_name": "billing"}, ask, org)
    assert asked["module_path"] == "github.com/acme/billing"  # the placeholder filled from the answer so far
    assert asked["memory_limit"] == "1Gi"
    assert asked["port"] == 9090
    assert "runtime_image" not in asked and "enable_pprof" not in asked
    assert "pprof_port" not in asked  # its `when` follows the fixed enable_pprof=false
    assert answers["runtime_image"] == "scratch"
    assert answers["enable_pprof"] is False


def test_a_user_can_still_change_an_org_default_when_asked() -> None:
    org = OrgAnswers(defaults={"memory_limit": "1Gi"}, origin="org.toml")

    def ask(question: Question, default: Any, problem: Any) -> Any:
        return "2Gi" if question.key == "memory_limit" else default

    answers = collect_answers(_bundled_config(), {"service_name": "billing"}, ask, org)
    assert answers["memory_limit"] == "2Gi"


def test_a_given_answer_that_contradicts_a_fixed_one_is_refused() -> None:
    org = OrgAnswers(fixed={"runtime_image": "distroless"}, origin="org.toml")
    with pytest.raises(InvalidAnswerError, match=r"runtime_image is fixed to 'distroless' by the org config org.toml"):
        collect_answers(_bundled_config(), {"service_name": "a", "runtime_image": "alpine"}, None, org)
    same = collect_answers(_bundled_config(), {"service_name": "a", "runtime_image": "distroless"}, None, org)
    assert same["runtime_image"] == "distroless"


def test_a_placeholder_naming_a_later_or_unknown_answer_names_the_config_key() -> None:
    org = OrgAnswers(defaults={"module_path": "github.com/{team}/{service_name}"}, origin="org.toml")
    with pytest.raises(ConfigError, match=r"config org.toml: defaults.module_path: placeholder \{team\}"):
        collect_answers(_bundled_config(), {"service_name": "a"}, None, org)


def test_an_org_default_that_renders_invalid_names_the_config_key() -> None:
    org = OrgAnswers(defaults={"module_path": "Acme/{service_name}"}, origin="org.toml")
    with pytest.raises(ConfigError, match=r"config org.toml: defaults.module_path: module_path 'Acme/a'"):
        collect_answers(_bundled_config(), {"service_name": "a"}, None, org)


def test_org_answers_for_questions_a_template_does_not_ask_are_ignored() -> None:
    org = OrgAnswers(defaults={"team": "payments"}, fixed={"oncall": "yes"}, origin="org.toml")
    answers = collect_answers(_bundled_config(), {"service_name": "a"}, None, org)
    assert "team" not in answers and "oncall" not in answers


def test_scaffold_new_with_a_config_records_org_defaults_and_fixed_answers(tmp_path: Path) -> None:
    config = write(
        tmp_path / "org.toml",
        '[defaults]\nmodule_path = "github.com/acme/{service_name}"\nmemory_limit = "256Mi"\n'
        '[fixed]\nruntime_image = "scratch"\n',
    )
    code, out, err = scaffold(tmp_path, "new", "search", "--defaults", "--no-git", "--config", str(config))
    assert code == 0, err
    answers = yaml.safe_load((tmp_path / "search" / ".copier-answers.yml").read_text())
    assert (answers["module_path"], answers["memory_limit"], answers["runtime_image"]) == (
        "github.com/acme/search",
        "256Mi",
        "scratch",
    )
    assert "container memory limit 256Mi (Kubernetes, compose, Makefile); the service derives GOMEMLIMIT=224MiB" in out
    code, _, err = scaffold(
        tmp_path, "new", "other", "--defaults", "--config", str(config), "-d", "runtime_image=alpine"
    )
    assert code == 2
    assert "runtime_image is fixed to 'scratch'" in err
    assert not (tmp_path / "other").exists()
