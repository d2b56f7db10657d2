"""Small copier templates, one copier feature each, at two versions: the conformance suite's input.

Each case is a template written as files (v1), the change that makes v2 (a file mapped to None is
deleted), and the answers given to both copier and scaffold. tests/test_conformance.py renders each
with `copier copy`/`copier update` and with `scaffold new`/`scaffold update` and compares the results.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    """One template of the suite."""

    name: str
    feature: str
    v1: dict[str, str]
    v2: dict[str, str | None]
    data: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    """Symlinks in the template (path -> target), the same in both versions."""
    answers_file: str = ".copier-answers.yml"
    refused: str = ""
    """When docs/security.md refuses what copier allows: the one-line refusal scaffold gives instead."""
    repo_files: dict[str, str] = field(default_factory=dict)
    """Files the team adds to the repo and commits before the update, in both repos."""
    secrets: dict[str, str] = field(default_factory=dict)
    """Secret answers the repo uses: never recorded, so `scaffold update` must be given them (copier renders
    their defaults again); the values here are those defaults, so both make the same files."""


ANSWERS = "{{ _copier_answers|to_nice_yaml -}}\n"
ANSWERS_FILE = {"{{_copier_conf.answers_file}}.jinja": "# Changes here will be overwritten by Copier\n" + ANSWERS}

EXTENSIONS_PY = """\
import re

from copier_templates_extensions import ContextHook
from jinja2.ext import Extension


class SlugifyExtension(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["slugify"] = lambda text: re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


class ContextUpdater(ContextHook):
    def hook(self, context):
        context["shouting"] = str(context.get("project_name", "")).upper()
"""

CASES = [
    Case(
        "local_extensions",
        "local Jinja extensions through copier-templates-extensions' loader, with a ContextHook",
        {
            "copier.yml": "_jinja_extensions:\n  - copier_templates_extensions.TemplateExtensionLoader\n"
            "  - extensions.py:SlugifyExtension\n  - extensions.py:ContextUpdater\n"
            "_subdirectory: template\n"
            "project_name:\n  type: str\n  default: My Project\n"
            'project_slug:\n  type: str\n  default: "{{ project_name | slugify }}"\n',
            "extensions.py": EXTENSIONS_PY,
            "template/README.md.jinja": "# {{ project_name }} ({{ project_slug }}) {{ shouting }}\n",
            "template/{{ project_slug }}.txt.jinja": "slug\n",
            **{f"template/{k}": v for k, v in ANSWERS_FILE.items()},
        },
        {"template/CHANGES.md.jinja": "{{ project_slug | slugify }} v2\n"},
        {"project_name": "Hello World Service"},
    ),
    Case(
        "installed_extension",
        "an extension installed beside copier (tests/copier_ext.py)",
        {
            "copier.yml": "_jinja_extensions: [tests.copier_ext.ShoutExtension]\nname: my-app\n",
            "NAME.md.jinja": "{{ name | shout }}\n",
            **ANSWERS_FILE,
        },
        {"NAME.md.jinja": "{{ name | shout }} v2\n"},
    ),
    Case(
        "computed_yaml",
        "a `when: false` yaml value with a dict default, used by later defaults and a file name",
        {
            "copier.yml": "preset:\n  type: str\n  choices: [minimal, full]\n  default: full\n"
            "preset_map:\n  type: yaml\n  when: false\n  default:\n    minimal: [core]\n    full: [core, include_cli]\n"
            "include_cli:\n  type: bool\n  default: \"{{ 'include_cli' in preset_map[preset] }}\"\n"
            'first_part:\n  type: str\n  when: false\n  default: "{{ preset_map[preset][0] }}"\n',
            "{{ first_part }}.txt.jinja": "{{ preset_map | tojson }}\n",
            "{% if include_cli %}cli.py{% endif %}.jinja": "cli for {{ preset }}\n",
            **ANSWERS_FILE,
        },
        {"{{ first_part }}.txt.jinja": "{{ preset_map[preset] | join(',') }}\n"},
    ),
    Case(
        "computed_json_int_bool",
        "`when: false` values of type json, int and bool referenced by defaults and file names",
        {
            "copier.yml": "workers:\n  type: int\n  default: 2\n"
            'double:\n  type: int\n  when: false\n  default: "{{ workers * 2 }}"\n'
            'many:\n  type: bool\n  when: false\n  default: "{{ workers > 1 }}"\n'
            'limits:\n  type: json\n  when: false\n  default: \'{"cpu": {{ workers }}, "names": ["a", "b"]}\'\n'
            'label:\n  type: str\n  default: "w{{ double }}-{{ limits.cpu }}"\n',
            "conf-{{ double }}.ini.jinja": "many={{ many }}\nlimits={{ limits | tojson }}\nlabel={{ label }}\n",
            "{% if many %}pool{% endif %}/README.jinja": "pool of {{ workers }}\n",
            **ANSWERS_FILE,
        },
        {"conf-{{ double }}.ini.jinja": "many={{ many }}\nlabel={{ label }} v2\n"},
        {"workers": "3"},
    ),
    Case(
        "dict_and_pair_choices",
        "dict choices (Label: value) and [label, value] pair choices",
        {
            "copier.yml": "license:\n  type: str\n  choices:\n    MIT License: mit\n    Apache 2.0: apache\n"
            "  default: apache\n"
            "level:\n  type: int\n  choices:\n    - [Low, 1]\n    - [High, 9]\n  default: 9\n",
            "LICENSE.jinja": "{{ license }} at {{ level }}\n",
            **ANSWERS_FILE,
        },
        {"LICENSE.jinja": "{{ license | upper }} at {{ level }}\n"},
        {"license": "mit"},
    ),
    Case(
        "conditional_choices",
        "choices disabled by a `validator` inside the choice, depending on an earlier answer",
        {
            "copier.yml": "cloud:\n  type: str\n  choices: [aws, onprem]\n  default: onprem\n"
            "storage:\n  type: str\n  choices:\n    S3:\n      value: s3\n"
            "      validator: \"{% if cloud != 'aws' %}S3 needs aws{% endif %}\"\n"
            "    Disk:\n      value: disk\n  default: disk\n",
            "storage.txt.jinja": "{{ cloud }}/{{ storage }}\n",
            **ANSWERS_FILE,
        },
        {"storage.txt.jinja": "{{ cloud }}:{{ storage }}\n"},
    ),
    Case(
        "multiselect",
        "a multiselect question, its default a list",
        {
            "copier.yml": "features:\n  type: str\n  multiselect: true\n  choices: [api, worker, cron]\n"
            "  default: [api, cron]\n",
            "features.txt.jinja": "{% for f in features %}{{ f }}\n{% endfor %}",
            **ANSWERS_FILE,
        },
        {"features.txt.jinja": "{{ features | join(' ') }}\n"},
    ),
    Case(
        "multiline",
        "`multiline: true` questions: a text of several lines, and a yaml mapping, by default",
        {
            "copier.yml": "description:\n  type: str\n  multiline: true\n"
            "  default: |\n    First line.\n    Second line.\n"
            "settings:\n  type: yaml\n  multiline: true\n  default:\n    a: 1\n    b: [x, y]\n",
            "README.md.jinja": "{{ description }}\n{{ settings | to_nice_yaml }}",
            **ANSWERS_FILE,
        },
        {"README.md.jinja": "{{ description | upper }}\n{{ settings | to_nice_yaml }}"},
    ),
    Case(
        "validators",
        "validators on answers, and a default that depends on an earlier answer",
        {
            "copier.yml": "name:\n  type: str\n  default: demo\n"
            "  validator: \"{% if not (name | regex_search('^[a-z]+$')) %}lowercase only{% endif %}\"\n"
            'port:\n  type: int\n  default: "{{ 8000 + name | length }}"\n'
            '  validator: "{% if port < 1024 %}too low{% endif %}"\n',
            "port.txt.jinja": "{{ name }}:{{ port }}\n",
            **ANSWERS_FILE,
        },
        {"port.txt.jinja": "{{ name }} on {{ port }}\n"},
        {"name": "shop"},
    ),
    Case(
        "secrets",
        "`secret: true` and `_secret_questions`: used in files, never in the answers file",
        {
            "copier.yml": "_secret_questions: [db_password]\n"
            "api_token:\n  type: str\n  secret: true\n  default: token-default\n"
            "db_password:\n  type: str\n  default: changeme\n",
            ".env.jinja": "TOKEN={{ api_token }}\nDB={{ db_password }}\n",
            **ANSWERS_FILE,
        },
        {".env.jinja": "TOKEN={{ api_token }}\nDB_PASSWORD={{ db_password }}\n"},
        secrets={"api_token": "token-default", "db_password": "changeme"},
    ),
    Case(
        "exclude_negation",
        "`_exclude` patterns with `!` negation",
        {
            "copier.yml": '_exclude:\n  - "*.bak"\n  - "!keep.bak"\n  - docs\n  - copier.yml\nname: x\n',
            "drop.bak": "dropped\n",
            "keep.bak": "kept\n",
            "docs/index.md": "excluded\n",
            "main.txt.jinja": "{{ name }}\n",
            **ANSWERS_FILE,
        },
        {"other.bak": "dropped too\n", "main.txt.jinja": "{{ name }} v2\n"},
    ),
    Case(
        "skip_if_exists",
        "`_skip_if_exists`: a file the template seeds once",
        {
            "copier.yml": "_skip_if_exists: [settings.toml]\nname: x\n",
            "settings.toml.jinja": 'name = "{{ name }}"\n',
            "VERSION": "1\n",
            **ANSWERS_FILE,
        },
        {"settings.toml.jinja": 'name = "{{ name }}"\nversion = 2\n', "VERSION": "2\n"},
    ),
    Case(
        "templated_names",
        "templated file and folder names, including ones that render empty (not created)",
        {
            "copier.yml": "pkg: mypkg\nwith_tests:\n  type: bool\n  default: false\n",
            "src/{{ pkg }}/__init__.py.jinja": "NAME = '{{ pkg }}'\n",
            "{% if with_tests %}tests{% endif %}/test_{{ pkg }}.py.jinja": "def test(): pass\n",
            "{% if with_tests %}conftest.py{% endif %}.jinja": "",
            **ANSWERS_FILE,
        },
        {"src/{{ pkg }}/cli.py.jinja": "print('{{ pkg }}')\n"},
        {"pkg": "shop"},
    ),
    Case(
        "templated_subdirectory",
        "`_subdirectory` chosen by an answer",
        {
            "copier.yml": '_subdirectory: "layouts/{{ layout }}"\nlayout:\n  type: str\n  choices: [flat, src]\n'
            "  default: src\n",
            "layouts/flat/main.py": "flat\n",
            "layouts/src/src/main.py": "src\n",
            **{f"layouts/flat/{k}": v for k, v in ANSWERS_FILE.items()},
            **{f"layouts/src/{k}": v for k, v in ANSWERS_FILE.items()},
        },
        {"layouts/src/src/main.py": "src v2\n"},
    ),
    Case(
        "tasks",
        "`_tasks` with `when` and `working_directory`",
        {
            "copier.yml": '_tasks:\n  - command: "echo {{ name }} > made-by-task.txt"\n'
            '  - command: "echo never > never.txt"\n    when: "{{ false }}"\n'
            "  - command: [touch, marker]\n    working_directory: sub\n"
            "name: x\n",
            "sub/.keep": "",
            **ANSWERS_FILE,
        },
        {"NEW.md": "new\n"},
    ),
    Case(
        "messages",
        "`_message_before_copy`, `_message_after_copy`, `_message_before_update`",
        {
            "copier.yml": '_message_before_copy: "Copying {{ _folder_name }}"\n'
            '_message_after_copy: "Made {{ name }} in {{ _copier_conf.dst_path }}"\n'
            '_message_before_update: "Updating {{ name }}"\n'
            "name: demo\n",
            "NAME.jinja": "{{ name }}\n",
            **ANSWERS_FILE,
        },
        {"NAME.jinja": "{{ name }} 2\n"},
    ),
    Case(
        "envops",
        "`_envops`: custom delimiters and keep_trailing_newline",
        {
            "copier.yml": '_envops:\n  block_start_string: "[%"\n  block_end_string: "%]"\n'
            '  variable_start_string: "[["\n  variable_end_string: "]]"\n  keep_trailing_newline: true\n'
            "name:\n  type: str\n  default: demo\n"
            'title:\n  type: str\n  default: "[[ name | upper ]]"\n',
            "workflow.yml.jinja": "name: [[ title ]]\nrun: echo ${{ github.sha }}\n[% if name %]ok[% endif %]\n\n",
            "[[ _copier_conf.answers_file ]].jinja": "# answers\n[[ _copier_answers|to_nice_yaml -]]\n",
        },
        {"workflow.yml.jinja": "name: [[ title ]] v2\nrun: echo ${{ github.sha }}\n"},
    ),
    Case(
        "include",
        "`!include` of another YAML file inside the template",
        {
            "copier.yml": "---\n!include common/questions.yml\n---\n_exclude: [common, copier.yml]\nextra: x\n",
            "common/questions.yml": "team:\n  type: str\n  default: platform\n",
            "TEAM.jinja": "{{ team }} {{ extra }}\n",
            **ANSWERS_FILE,
        },
        {
            "common/questions.yml": "team:\n  type: str\n  default: platform\nlead:\n  type: str\n  default: ada\n",
            "TEAM.jinja": "{{ team }} {{ extra }} {{ lead }}\n",
        },
    ),
    Case(
        "custom_answers_file",
        "a custom `_answers_file`",
        {
            "copier.yml": "_answers_file: .config/answers.project.yml\nname: x\n",
            "name.txt.jinja": "{{ name }}\n",
            **ANSWERS_FILE,
        },
        {"name.txt.jinja": "{{ name }} v2\n"},
        answers_file=".config/answers.project.yml",
    ),
    Case(
        "empty_templates_suffix",
        '`_templates_suffix: ""`: every file is a template',
        {
            "copier.yml": '_templates_suffix: ""\nname: x\n',
            "README.md": "# {{ name }}\n",
            "{{_copier_conf.answers_file}}": "# answers\n" + ANSWERS,
        },
        {"README.md": "# {{ name }} v2\n"},
    ),
    Case(
        "preserve_symlinks",
        "`_preserve_symlinks`: a link inside the template stays a link",
        {
            "copier.yml": "_preserve_symlinks: true\nname: x\n",
            "real.txt.jinja": "{{ name }}\n",
            **ANSWERS_FILE,
        },
        {"real.txt.jinja": "{{ name }} v2\n"},
        links={"alias.txt": "real.txt"},
    ),
    Case(
        "skip_if_exists_with_a_secret",
        "`_skip_if_exists` in a template with a secret question (Tecnativa/doodba-copier-template has both)",
        {
            "copier.yml": "_skip_if_exists: [deps/*.txt]\nname: x\n"
            "password:\n  type: str\n  secret: true\n  default: changeme\n",
            "deps/pip.txt": "# deps\n",
            ".env.jinja": "PASSWORD={{ password }}\n",
            **ANSWERS_FILE,
        },
        {"deps/pip.txt": "# deps v2\n", ".env.jinja": "NAME={{ name }}\nPASSWORD={{ password }}\n"},
        secrets={"password": "changeme"},
    ),
    Case(
        "skip_if_exists_link",
        "a `_skip_if_exists` pattern matching a preserved link too (pawamoy/copier-uv: CHANGELOG.md, docs/ links it)",
        {
            "copier.yml": "_preserve_symlinks: true\n_skip_if_exists: [CHANGELOG.md]\nname: x\n",
            "CHANGELOG.md.jinja": "# {{ name }}\n",
            **ANSWERS_FILE,
        },
        {"CHANGELOG.md.jinja": "# {{ name }} v2\n"},
        links={"docs/CHANGELOG.md": "../CHANGELOG.md"},
    ),
    Case(
        "external_data",
        "`_external_data` read from a file inside the destination",
        {
            "copier.yml": "_external_data:\n  shared: shared.yml\n"
            "owner:\n  type: str\n  default: \"{{ _external_data.shared.owner | default('nobody') }}\"\n",
            "shared.yml.jinja": "owner: {{ owner }}\n",
            **ANSWERS_FILE,
        },
        {"OWNER.jinja": "{{ owner }}\n"},
    ),
    Case(
        "folder_name_and_external_data_on_update",
        "`{{ _folder_name }}` in a file and `_external_data` read from a file the team added to the repo, on update",
        {
            "copier.yml": "_external_data:\n  team: team.yml\nname: x\n",
            # a file of v1 naming the folder would conflict in copier's own update, which renders both versions
            # in temporary folders under other names (test_conformance.py shows scaffold's update keeps it)
            "NAME.jinja": "{{ name }}\n",
            **ANSWERS_FILE,
        },
        {"LEAD.md.jinja": "{{ _external_data.team.lead | default('nobody') }} leads {{ _folder_name }}\n"},
        repo_files={"team.yml": "lead: ada\n"},
    ),
    Case(
        "copier_conf",
        "`_copier_conf` and `_folder_name` in templates",
        {
            "copier.yml": 'name:\n  type: str\n  default: "{{ _folder_name }}"\n',
            # `_folder_name` only as a default: copier renders the old version elsewhere on update, under another name
            "info.txt.jinja": "{{ name }} {{ _copier_conf.answers_file }}\n",
            **ANSWERS_FILE,
        },
        {"info.txt.jinja": "{{ name }}|{{ _copier_conf.answers_file }}\n"},
    ),
    Case(
        "yield_loops",
        "`{% yield %}` loops making one file per item",
        {
            "copier.yml": "services:\n  type: yaml\n  default: [api, web]\n",
            "{% yield svc from services %}{{ svc }}{% endyield %}.txt.jinja": "service {{ svc }}\n",
            **ANSWERS_FILE,
        },
        {"{% yield svc from services %}{{ svc }}{% endyield %}.txt.jinja": "service {{ svc }} v2\n"},
    ),
    Case(
        "migrations",
        "`_migrations` by version, before and after the update, with copier's variables and environment",
        {
            "copier.yml": "name: x\n",
            "old.txt": "old\n",
            "NAME.jinja": "{{ name }}\n",
            **ANSWERS_FILE,
        },
        {
            "copier.yml": "name: x\n_migrations:\n"
            "  - version: v2.0.0\n"
            '    command: "echo $STAGE $VERSION_FROM $VERSION_TO $VERSION_CURRENT >> MIGRATED.txt"\n'
            "  - version: v2.0.0\n    when: \"{{ _stage == 'before' }}\"\n"
            '    command: "cat NAME > before.txt; echo {{ _version_pep440_to }} >> before.txt"\n'
            '  - version: v2.0.0\n    command: [sh, -c, "cat ../NAME > after.txt"]\n    working_directory: sub\n'
            '  - version: v3.0.0\n    command: "echo never > never.txt"\n'
            '  - command: "echo {{ name }} $COPIER_OPERATION {{ _copier_phase }} > any-version.txt"\n',
            "NAME.jinja": "{{ name }} v2\n",
            "sub/.keep": "",
            "old.txt": None,
        },
    ),
    Case(
        "link_out_of_the_template",
        "`_preserve_symlinks` with a link to a file outside the template: copier copies it, scaffold refuses",
        {"copier.yml": "_preserve_symlinks: true\nname: x\n", **ANSWERS_FILE},
        {"NEW.md": "new\n"},
        links={"hosts": "/etc/hosts"},
        refused="has hosts, a link to /etc/hosts, outside the template (refused, trusted or not)",
    ),
    Case(
        "external_data_outside",
        "`_external_data` outside the destination: copier reads it with --trust, scaffold refuses",
        {
            "copier.yml": "_external_data:\n  parent: ../parent-answers.yml\n"
            "owner:\n  type: str\n  default: \"{{ _external_data.parent.owner | default('nobody') }}\"\n",
            "OWNER.jinja": "{{ owner }}\n",
            **ANSWERS_FILE,
        },
        {"OWNER.jinja": "{{ owner }} v2\n"},
        refused="is forbidden: it reads or writes outside the template or the new repo (refused, trusted or not)",
    ),
]
