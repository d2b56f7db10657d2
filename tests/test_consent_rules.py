"""Who decides that a template may run code, and what the refusal says (generator/trust/consent.py).

The rules on plain settings and sources; tests/test_trust.py drives them through whole commands.
"""

from typing import Any

import pytest

from generator.errors import TemplateRefusedError
from generator.questions import TemplateConfig
from generator.sources import TemplateSource, bundled
from generator.trust.consent import (
    HOW_TO_CONSENT,
    NO_CONSENT,
    Consent,
    describe_wanted,
    foreign_extensions,
    org_admits,
    require_consent,
    require_consent_to_build,
)
from generator.trust.identity import trust_entry

ACME = TemplateSource(src="https://github.com/acme/svc.git", recorded_src="https://github.com/acme/svc.git")


def config(**settings: Any) -> TemplateConfig:
    return TemplateConfig(questions=[], settings={f"_{k}": v for k, v in settings.items()})


def test_a_template_that_runs_nothing_wants_nothing() -> None:
    assert describe_wanted(config()) == ""
    assert describe_wanted(config(tasks=[], migrations=None, jinja_extensions=[])) == ""


def test_tasks_are_shown_as_commands_whatever_form_copier_accepts_them_in() -> None:
    tasks = ["make  setup", ["git", "init"], {"command": "echo hi", "when": "true"}, {"command": ["ls", "-l"]}]

    assert describe_wanted(config(tasks=tasks), limit=4) == "tasks `make setup`, `git init`, `echo hi`, `ls -l`"
    assert describe_wanted(config(tasks="rm -rf /")) == "tasks `rm -rf /`"  # one task, not a list
    assert describe_wanted(config(tasks=[{"run": "x"}])) == "tasks `{'run': 'x'}`"  # no command: shown as written


def test_past_the_limit_the_rest_are_counted() -> None:
    tasks = ["a", "b", "c", "d", "e"]

    assert describe_wanted(config(tasks=tasks)) == "tasks `a`, `b`, `c`, and 2 more"
    assert describe_wanted(config(tasks=tasks[:3])) == "tasks `a`, `b`, `c`"
    assert describe_wanted(config(tasks=tasks[:4]), limit=4) == "tasks `a`, `b`, `c`, `d`"


def test_tasks_migrations_and_foreign_extensions_are_listed_in_one_line() -> None:
    wanted = config(
        tasks=["make"],
        migrations=[{"command": "./migrate\n--all"}],
        jinja_extensions=["generator.jinja_ext.ScaffoldExtension", "evil.Ext"],
    )

    assert describe_wanted(wanted) == "tasks `make`; migrations `./migrate --all`; Jinja extensions `evil.Ext`"


def test_only_scaffolds_own_extension_by_its_exact_path_is_not_foreign() -> None:
    extensions = ["generator.jinja_ext.ScaffoldExtension", "generator.jinja_ext.ScaffoldExtensionX", "a.B"]

    assert foreign_extensions(config(jinja_extensions=extensions)) == ["generator.jinja_ext.ScaffoldExtensionX", "a.B"]
    assert describe_wanted(config(jinja_extensions=extensions[:1])) == ""


def test_consent_is_bundling_the_flag_or_a_trusted_entry_admitting_the_source() -> None:
    assert NO_CONSENT.covers(bundled("go-service"))
    assert not NO_CONSENT.covers(ACME)
    assert Consent(flag=True).covers(ACME)
    assert Consent(entries=(trust_entry("https://github.com/acme/svc"),)).covers(ACME)
    assert Consent(entries=(trust_entry("https://github.com/acme/"),)).covers(ACME)
    assert not Consent(entries=(trust_entry("https://github.com/other/"),)).covers(ACME)


def test_a_source_that_cannot_be_identified_is_not_covered_by_any_entry() -> None:
    odd = TemplateSource(src="/x", recorded_src="https://")

    assert not Consent(entries=(trust_entry("https://github.com/acme/"),)).covers(odd)


def test_a_template_wanting_to_run_code_without_consent_is_refused_saying_how_to_consent() -> None:
    wanted = config(tasks=["make"])

    with pytest.raises(TemplateRefusedError) as raised:
        require_consent(ACME, wanted, NO_CONSENT)

    assert raised.value.message == (
        f"template {ACME.recorded_src} wants to run code on this machine: tasks `make`; refused: {HOW_TO_CONSENT}"
    )
    assert HOW_TO_CONSENT == "pass --trust, or list its source under `trusted` in the org config"
    require_consent(ACME, wanted, Consent(flag=True))
    require_consent(ACME, config(), NO_CONSENT)  # wants nothing: nothing to consent to


def test_building_a_templates_go_code_needs_consent() -> None:
    with pytest.raises(TemplateRefusedError) as raised:
        require_consent_to_build(ACME, NO_CONSENT)

    assert raised.value.message == (
        f"template {ACME.recorded_src}: `template test` compiles and runs its code (go build, go test); "
        f"refused: {HOW_TO_CONSENT}"
    )
    require_consent_to_build(ACME, Consent(flag=True))


def test_a_repos_ci_may_run_a_templates_code_only_when_the_orgs_trusted_entries_admit_its_source() -> None:
    acme = (trust_entry("https://github.com/acme/"),)

    assert org_admits(ACME, acme)
    assert not org_admits(ACME, (trust_entry("https://github.com/other/"),))
    assert not org_admits(ACME, ())  # no entry: a user's --trust is never carried to CI
    assert not org_admits(bundled("go-service"), acme)  # a bundled template needs no consent, in CI either
