"""The `scaffold` command line: parses arguments, calls the function that does the work, prints the result.

Failures are turned into one line and an exit code in one place, generator/failures.py. Heavy imports
(copier, questionary, Jinja) happen inside the commands, so `scaffold --help` stays fast.
"""

import dataclasses
import functools
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from generator.errors import EXIT_ACTION_NEEDED, ScaffoldError, SecretAnswersNeeded
from generator.failures import DEBUG_ENV, ReportingGroup
from generator.terminal_text import safe

if TYPE_CHECKING:
    from generator.collect import Ask

app = typer.Typer(
    name="scaffold",
    help="Create production-grade Go service repositories and keep them up to date.",
    cls=ReportingGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: flags shown as flags, and no rich import for --help
    add_completion=False,  # scaffold's own --install-completion/--show-completion take the shell (completion.py)
)

CWD = Path(".")


def parse_data(pairs: list[str]) -> dict[str, str]:
    """Parse repeated `--data key=value` options."""
    data = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ScaffoldError(f"--data {pair!r} is not valid; accepted: key=value, e.g. --data port=9090")
        data[key.strip()] = value
    return data


def _version_callback(value: bool) -> None:
    if value:
        from generator.version import scaffold_version

        typer.echo(f"scaffold {scaffold_version()}")
        raise typer.Exit()


def _completion(ctx: typer.Context, param: Any, value: str | None) -> None:
    if value is None or ctx.resilient_parsing:
        return
    from generator import completion

    typer.echo(completion.act(param.opts[0], value))
    raise typer.Exit()


_SHELL_HELP = "for SHELL: bash, zsh or fish (alone: the current shell)."


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version.")
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", envvar=DEBUG_ENV, show_envvar=False, help=f"Show the traceback of a bug (or {DEBUG_ENV}=1)."
        ),
    ] = False,
    install_completion: Annotated[
        str | None,
        typer.Option(
            "--install-completion",
            metavar="[SHELL]",
            callback=_completion,
            is_eager=True,
            expose_value=False,
            help=f"Install shell completion {_SHELL_HELP}",
        ),
    ] = None,
    show_completion: Annotated[
        str | None,
        typer.Option(
            "--show-completion",
            metavar="[SHELL]",
            callback=_completion,
            is_eager=True,
            expose_value=False,
            help=f"Print the completion script {_SHELL_HELP}",
        ),
    ] = None,
) -> None:
    """Create production-grade Go service repositories and keep them up to date."""


def _complete_data(ctx: typer.Context, incomplete: str) -> list[str]:
    """Complete `--data` with `KEY=` for the chosen template's questions, and a choice question's values."""
    from generator import catalog
    from generator import config as org_config
    from generator.questions import load_config

    try:
        org = org_config.load(ctx.params.get("config"))
        source = catalog.resolve(ctx.params.get("template"), None, org)
        folder = source.local_path  # a remote git template is not cloned to complete a word
        config = load_config(folder, trusted=source.bundled) if folder is not None else None
    except Exception:  # a completion never fails the shell: it offers nothing instead
        return []
    if config is None:
        return []
    key, sep, _ = incomplete.partition("=")
    if not sep:
        return [f"{q.key}=" for q in config.questions if not q.computed and q.key.startswith(incomplete)]
    question = config.question(key)
    if question is None or question.computed:
        return []
    values = [str(v) for v in question.choices.values()] or (["true", "false"] if question.type == "bool" else [])
    return [f"{key}={value}" for value in values if f"{key}={value}".startswith(incomplete)]


DataOption = Annotated[
    list[str] | None,
    typer.Option(
        "--data",
        "-d",
        metavar="KEY=VALUE",
        help="An answer, e.g. --data memory_limit=1Gi; `scaffold template show` lists the keys. Repeatable.",
        autocompletion=_complete_data,
    ),
]
TRUST_HELP = "Allow the template to run code: its tasks, migrations and Jinja extensions."
TRUST_BUILD_HELP = "Allow compiling and running the template's code (go build, go test) and its tasks."
TrustOption = Annotated[bool, typer.Option("--trust", help=TRUST_HELP)]


def _complete_template(ctx: typer.Context, incomplete: str) -> list[str]:
    """Complete `--template` with the org catalog's and the bundled templates' names."""
    from generator import catalog
    from generator import config as org_config

    try:
        org = org_config.load(ctx.params.get("config"))
    except ScaffoldError:
        org = org_config.OrgConfig()  # a broken config still completes the bundled names
    return [name for name in catalog.names(org) if name.startswith(incomplete)]


TemplateOption = Annotated[
    str | None,
    typer.Option(
        "--template",
        "-t",
        metavar="NAME|FOLDER|URL",
        help="Catalog or bundled template name, folder, or git URL (gh:/gl: too).",
        autocompletion=_complete_template,
    ),
]
VcsRefOption = Annotated[
    str | None, typer.Option("--vcs-ref", metavar="REF", help="Git tag or commit of a git template.")
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="Org config TOML (default: $SCAFFOLD_CONFIG, then the user config folder's scaffold/config.toml).",
    ),
]


@app.command()
def new(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Service name: the binary, image and Kubernetes name.")],
    dest: Annotated[Path | None, typer.Argument(metavar="DEST", help="Folder to create (default: ./NAME).")] = None,
    template: TemplateOption = None,
    vcs_ref: VcsRefOption = None,
    defaults: Annotated[bool, typer.Option("--defaults", help="Use the default for every answer not given.")] = False,
    data: DataOption = None,
    answers_file: Annotated[
        Path | None,
        typer.Option("--answers-file", metavar="FILE", help="A YAML file of answers (copier's answers format)."),
    ] = None,
    pretend: Annotated[bool, typer.Option("--pretend", help="Show what would be written; write nothing.")] = False,
    git: Annotated[bool, typer.Option("--git/--no-git", help="git init the new repo with one commit.")] = True,
    trust: TrustOption = False,
    config: ConfigOption = None,
) -> None:
    """Create a Go service repo from a template.

    Asks for the answers not given with --data or --answers-file; `scaffold template show` lists them.
    """
    from generator import catalog
    from generator import config as org_config
    from generator import new as new_module
    from generator.answers import reject_control_characters
    from generator.interrupts import guarded
    from generator.render import read_answers_file
    from generator.trust.consent import Consent

    reject_control_characters("service_name", name)  # before the folder named after it is looked at
    if dest is not None and str(dest).lower() in _FLAG_WORDS:
        raise ScaffoldError(
            f"DEST {str(dest)!r} looks like a value for a flag, and flags take none; "
            f"accepted: --defaults (or --git, --pretend) alone, or ./{dest} for a folder of that name"
        )
    org = org_config.load(config)

    given: dict[str, Any] = {}
    if answers_file is not None:
        given.update((k, v) for k, v in read_answers_file(_answers_file(answers_file)).items() if not k.startswith("_"))
    given.update(parse_data(data or []))
    ask: Ask | None = None
    if not defaults and sys.stdin.isatty():
        from generator.prompts import TerminalPrompts

        ask = TerminalPrompts()
    source = catalog.resolve(template, vcs_ref, org)
    request = new_module.NewRequest(
        name=name,
        dest=dest if dest is not None else Path(name),
        source=source,
        given=given,
        ask=ask,
        pretend=pretend,
        git_init=git,
        trusted=Consent(trust, org.trusted),
        org=org.answers,
        say=_say_on_stderr,
    )
    with guarded() as guard:  # Ctrl-C: nothing written (exit 130), or the whole repo and its summary (exit 0)
        result = new_module.create(request)
        typer.echo(_for_terminal(_summary(result, pretend)))
    if guard.interrupted:
        typer.echo(f"Ctrl-C came once {result.dest} was being put in place: it is complete, as above.", err=True)


def _say_on_stderr(text: str) -> None:
    """Show a template's message on stderr, as copier does (its escapes shown, never sent raw)."""
    typer.echo(safe(text), err=True)


_FLAG_WORDS = frozenset({"true", "false", "yes", "no", "on", "off"})


def _answers_file(path: Path) -> Path:
    """Return `path` if it can be an answers file; raise a one-line error naming the problem."""
    if path.is_dir():
        raise ScaffoldError(f"--answers-file {str(path)!r} is a folder; accepted: a YAML answers file")
    if not path.exists():
        raise ScaffoldError(f"--answers-file {str(path)!r} does not exist; accepted: a YAML answers file")
    return path


def _for_terminal(text: str) -> str:
    """Wrap `text` at the terminal's width when a person reads it; logs and pipes get each line whole."""
    if not sys.stdout.isatty():
        return text
    from generator.wrapping import terminal_width, wrap_text

    return wrap_text(text, terminal_width())


def _summary(result: Any, pretend: bool) -> str:
    from generator.quantities import gomemlimit_for

    answers = result.answers
    lines = []
    if pretend:
        lines.append(f"Would create {result.dest} with {len(result.files)} files (nothing written):")
        lines.extend(f"  {safe(path)}" for path in result.files)
    else:
        version = f"template version {result.version}" if result.version else "an unversioned template folder"
        lines.append(f"Created {result.dest} ({len(result.files)} files, {version}).")
    if "memory_limit" in answers:
        lines.append(
            f"  container memory limit {answers['memory_limit']} (Kubernetes, compose, Makefile); the service "
            f"derives GOMEMLIMIT={gomemlimit_for(answers['memory_limit'])} from it at start"
        )
    if result.commit:
        lines.append(f"  git: first commit {result.commit[:12]}; pristine render kept on branch scaffold/pristine")
    if result.message and not pretend:
        lines.append(safe(result.message))  # the template's own text: its escapes are shown, not run
    return "\n".join(lines)


# A value such as -5Mi starts with '-': take it as the argument (and refuse it as a quantity), not as an option.
@app.command(context_settings={"ignore_unknown_options": True})
def memlimit(
    memory_limit: Annotated[
        str, typer.Argument(metavar="QUANTITY", help="Container memory limit, e.g. 512Mi, 1Gi, 256M.")
    ],
) -> None:
    """Print the GOMEMLIMIT for a container memory limit.

    For example 512Mi -> 460MiB: the rule the generated service applies when it starts.
    """
    from generator.answers import validate_answer
    from generator.quantities import gomemlimit_for

    typer.echo(gomemlimit_for(validate_answer("memory_limit", memory_limit)))


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of a table.")]
FromFileOption = Annotated[
    Path | None,
    typer.Option("--from-file", metavar="FILE", help="A file listing repo paths, one a line (# comments)."),
]
JobsOption = Annotated[
    int | None,
    typer.Option("--jobs", "-j", metavar="N", help="How many repos at once (default: one per CPU, at most 8)."),
]


@app.command("templates")
def templates_command(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """List the org's catalog and the bundled templates.

    Each with its newest version.
    """
    import json

    from generator import catalog
    from generator import config as org_config
    from generator.report import print_catalog

    rows = catalog.rows(org_config.load(config))
    if as_json:
        typer.echo(json.dumps([row.as_dict() for row in rows], indent=2))
    else:
        print_catalog(rows)


@app.command("update")
def update_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PATH", help="Repos to update (default: the current folder); several run at once."),
    ] = None,
    vcs_ref: Annotated[
        str | None,
        typer.Option(
            "--vcs-ref", metavar="REF", help="Tag or commit of a git-hosted template (default: its newest tag)."
        ),
    ] = None,
    data: DataOption = None,
    conflict: Annotated[
        str,
        typer.Option(
            "--conflict",
            metavar="inline|rej",
            help="Leave conflicts as markers in the file (inline), or keep your version and write FILE.rej (rej).",
        ),
    ] = "inline",
    plan: Annotated[bool, typer.Option("--plan", help="List what would happen to each file; write nothing.")] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Show the content diff the update would make (one repo); write nothing.")
    ] = False,
    restore_deleted: Annotated[
        bool, typer.Option("--restore-deleted", help="Bring back template files you deleted (default: they stay gone).")
    ] = False,
    trust: TrustOption = False,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            metavar="NAME|FOLDER|URL",
            help="Move the repo to another template (a bundled name, folder or git URL); one repo at a time.",
        ),
    ] = None,
    answers_file: Annotated[
        str | None,
        typer.Option(
            "--answers-file",
            metavar="FILE",
            help="Update only the template that wrote FILE (default: each template of the repo in turn); one repo.",
        ),
    ] = None,
    from_file: FromFileOption = None,
    jobs: JobsOption = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Merge the newest template version into generated repos.

    Exit 1 when conflicts remain, 2 on errors.

    A repo with several templates (several answers files) has each updated in turn, stopping at conflicts.
    With several repos (or --from-file): all run in parallel, a summary table follows, the exit code is the worst.
    """
    from generator import config as org_config
    from generator import fleet
    from generator.update import CONFLICT_STYLES, format_result, update

    if conflict not in CONFLICT_STYLES:
        raise ScaffoldError(f"--conflict {conflict!r} is not valid; accepted: {', '.join(CONFLICT_STYLES)}")
    org = org_config.load(config)
    repos = fleet.repo_paths(paths or ([] if from_file else [Path(".")]), from_file)
    options = fleet.UpdateOptions(vcs_ref, parse_data(data or []), conflict, plan, restore_deleted, trust)
    if template is not None and (len(repos) != 1 or from_file is not None or as_json):
        raise ScaffoldError(
            f"--template moves one repo at a time ({len(repos)} given); accepted: one PATH, no --from-file, no --json"
        )
    if diff and (len(repos) != 1 or from_file is not None or as_json):
        raise ScaffoldError(
            f"--diff shows one repo at a time ({len(repos)} given); accepted: one PATH, or --plan for many repos"
        )
    if answers_file is not None and (len(repos) != 1 or from_file is not None or as_json):
        raise ScaffoldError(
            f"--answers-file names one repo's template ({len(repos)} repos given); accepted: one PATH, no --json"
        )
    if len(repos) != 1 or from_file is not None or as_json:
        _run_fleet("update", repos, functools.partial(fleet.update_job, options=options, org=org), jobs, as_json)
        return
    repo = repos[0].resolve()
    with fleet.sigterm_as_exit():  # `timeout`, a cancelled CI job: the update rolls back as on Ctrl-C
        for name in _templates_to_update(repo, answers_file, template, vcs_ref, data, diff):
            request = dataclasses.replace(fleet.update_request(repo, options, org, name), say=_say_on_stderr)
            if template is not None:
                from generator import sources

                request = dataclasses.replace(request, source=sources.resolve(template, vcs_ref), move=True)
            try:
                result = update(dataclasses.replace(request, diff=diff))
            except SecretAnswersNeeded as needed:
                if not sys.stdin.isatty():
                    raise
                asked = {**request.data, **_ask_secrets(needed.keys)}  # refused before anything was written: run again
                result = update(dataclasses.replace(request, diff=diff, data=asked))
            if diff and not result.up_to_date:
                shown = (
                    safe(result.diff) if result.diff else f"{result.repo}: the update would change no file's content."
                )
                typer.echo(shown, nl=not result.diff)
                for stage, command in result.migrations:  # not content of the diff: on stderr, so the diff stays one
                    typer.echo(safe(f"{result.repo}: the update would also run the template's {stage} migration "
                                    f"`{command}`, not shown in this diff"), err=True)  # fmt: skip
                return
            typer.echo(safe(format_result(result)))  # file names the template chose: escapes shown
            if result.messages[1]:
                _say_on_stderr(result.messages[1])  # the one before was shown as the update started to write
            if result.exit_code:
                raise typer.Exit(result.exit_code)


def _ask_secrets(keys: list[str]) -> dict[str, str]:
    """Ask in the terminal for the secret answers an update needs (typed unseen); return them by key."""
    from generator.prompts import TerminalPrompts
    from generator.questions import Question

    def problem_of(key: str) -> Callable[[Any], str]:
        return lambda value: "" if str(value) else f"{key} is empty; accepted: the value the repo uses, or a new one"

    ask = TerminalPrompts()
    answers = {}
    for key in keys:
        question = Question(
            key=key, help=f"{key} (a secret answer, not recorded: the value the repo uses)", secret=True
        )
        answers[key] = str(ask(question, "", problem_of(key)))
    return answers


def _templates_to_update(
    repo: Path, answers_file: str | None, template: str | None, vcs_ref: str | None, data: list[str] | None, diff: bool
) -> list[str | None]:
    """The answers files `update` goes through: the one asked for, else each of the repo's (None: the usual one).

    Options that name one template's version or answers need that template named when the repo has several.
    """
    from generator.answers_files import find_answers_files

    if answers_file is not None:
        return [answers_file]
    found = find_answers_files(repo) if repo.is_dir() else []
    if len(found) < 2:
        return [None]
    one_template = [
        flag
        for flag, on in (("--template", template), ("--vcs-ref", vcs_ref), ("--data", data), ("--diff", diff))
        if on
    ]
    if one_template:
        raise ScaffoldError(
            f"{one_template[0]} applies to one template, and {repo} has {len(found)} ({', '.join(found)}); "
            f"accepted: --answers-file FILE with one of them"
        )
    return list(found)


@app.command("check")
def check_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PATH", help="Repos to check (default: the current folder); several run at once."),
    ] = None,
    as_json: JsonOption = False,
    from_file: FromFileOption = None,
    jobs: JobsOption = None,
    trust: TrustOption = False,
    config: ConfigOption = None,
) -> None:
    """Report repos that are behind or drifted from their template.

    Each repo's template version, the newest one, and its drifted files; exit 1 behind or drifted, 2 error.

    With several repos (or --from-file): all run in parallel and a summary table follows.
    """
    from generator import config as org_config
    from generator import fleet
    from generator.check import exit_code, format_json, format_reports

    org = org_config.load(config)
    repos = fleet.repo_paths(paths or ([] if from_file else [Path(".")]), from_file)
    if len(repos) != 1 or from_file is not None:
        _run_fleet("check", repos, functools.partial(fleet.check_job, org=org, trust=trust), jobs, as_json)
        return
    reports = fleet.check_reports(repos[0].resolve(), org, trust)
    typer.echo(format_json(reports) if as_json else safe(format_reports(reports)))
    code = exit_code(reports)
    if code:
        raise typer.Exit(code)


@app.command("adopt")
def adopt_command(
    path: Annotated[
        Path, typer.Argument(metavar="PATH", help="The repo to adopt (a git repo; default: the current folder).")
    ] = CWD,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            "-t",
            metavar="NAME|FOLDER|URL",
            help="Its template, when it has no copier answers file (or another one).",
            autocompletion=_complete_template,
        ),
    ] = None,
    vcs_ref: VcsRefOption = None,
    data: DataOption = None,
    trust: TrustOption = False,
    config: ConfigOption = None,
) -> None:
    """Bring a repo made by copier or by hand under update.

    No file changes: a pristine render is recorded in its history as the base of later updates.
    """
    from generator import catalog, fleet
    from generator import config as org_config
    from generator.adopt import CURRENT, AdoptRequest, adopt
    from generator.trust.consent import Consent

    org = org_config.load(config)
    source = catalog.resolve(template, vcs_ref, org) if template is not None else None
    repo = path.resolve()
    consent = Consent(trust, org.trusted)
    with fleet.sigterm_as_exit():  # `timeout`, a cancelled CI job: no merge left in progress, as on Ctrl-C
        result = adopt(AdoptRequest(repo, source, parse_data(data or []), consent, org.answers))
    typer.echo(
        f"Adopted {path}: template {result.template} {result.version}, merge base: the {result.base} "
        f"(pristine render {result.pristine_commit[:12]} on scaffold/pristine, merge {result.merge_commit[:12]})."
    )
    if result.added_answers_file:
        typer.echo(f"  added {result.added_answers_file} (the template and answers update will use)")
    if result.base == CURRENT:
        typer.echo(
            "  The repo's differences from that render count as its own edits; review them with: "
            f"git -C {shlex.quote(str(path))} diff scaffold/pristine HEAD"
        )
    typer.echo(f"Next: scaffold check {path} && scaffold update {path} --plan")


@app.command("apply")
def apply_command(
    template: Annotated[
        str,
        typer.Option(
            "--template",
            "-t",
            metavar="NAME|FOLDER|URL",
            help="The template to add (a bundled name, folder or git URL).",
            autocompletion=_complete_template,
        ),
    ],
    path: Annotated[
        Path, typer.Argument(metavar="PATH", help="The repo to add it to (default: the current folder).")
    ] = CWD,
    vcs_ref: VcsRefOption = None,
    data: DataOption = None,
    trust: TrustOption = False,
    config: ConfigOption = None,
) -> None:
    """Add another template to a repo, with its own answers.

    scaffold update then updates each template in turn.
    """
    from generator import catalog, fleet
    from generator import config as org_config
    from generator.apply import ApplyRequest, apply
    from generator.trust.consent import Consent

    org = org_config.load(config)
    source = catalog.resolve(template, vcs_ref, org)
    consent = Consent(trust, org.trusted)
    with fleet.sigterm_as_exit():  # `timeout`, a cancelled CI job: the repo is put back, as on Ctrl-C
        result = apply(ApplyRequest(path.resolve(), source, parse_data(data or []), consent, org.answers))
    typer.echo(
        f"Applied template {result.template} {result.version} to {path}: {len(result.files)} files, answers in "
        f"{result.answers_file} (pristine render {result.pristine_commit[:12]} on {result.branch}, "
        f"merge {result.merge_commit[:12]})."
    )
    typer.echo(f"Next: scaffold check {path}; scaffold update {path} updates each template in turn.")


def _run_fleet(command: str, repos: list[Path], job: Callable[[Path], Any], jobs: int | None, as_json: bool) -> None:
    """Run `job` over `repos` in parallel with progress on stderr, print the summary, exit with the worst code."""
    from generator import fleet
    from generator.report import fleet_progress, print_fleet

    if not repos:
        raise ScaffoldError("--from-file lists no repos; accepted: one repo path a line (# starts a comment)")
    if jobs is not None and jobs < 1:
        raise ScaffoldError(f"--jobs {jobs} is not valid; accepted: 1 or more")
    with fleet_progress(len(repos), f"{command} {len(repos)} repos") as on_done:
        rows = fleet.run(repos, job, jobs=jobs, on_done=on_done)
    worst = fleet.exit_code(rows)
    if as_json:
        typer.echo(fleet.to_json(command, rows))
    else:
        print_fleet(f"scaffold {command}: {len(rows)} repos", rows, worst)
    if worst:
        raise typer.Exit(worst)


template_app = typer.Typer(
    help="Author an org template: init, test, show, upgrade.",
    no_args_is_help=True,
)
app.add_typer(template_app, name="template")


@template_app.command("init")
def template_init(
    dest: Annotated[
        Path, typer.Argument(metavar="DEST", help="Folder to create the org template in (a new git repo).")
    ],
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data", "-d", metavar="KEY=VALUE", help="An org default, e.g. module_path=github.com/acme/{service_name}."
        ),
    ] = None,
    fixed: Annotated[
        list[str] | None,
        typer.Option("--fixed", metavar="KEY=VALUE", help="An answer the org decides: never asked. Repeatable."),
    ] = None,
    tag: Annotated[
        str, typer.Option("--tag", metavar="TAG", help="The first version's tag (a PEP 440 version).")
    ] = "v0.1.0",
    config: ConfigOption = None,
) -> None:
    """Start an org template from the bundled one.

    Org defaults filled in, a git repo, its first version tagged.

    Defaults and fixed answers come from the org config's [defaults] and [fixed], then --data and --fixed.
    """
    from generator import config as org_config
    from generator.authoring import BUNDLED_BRANCH, init_template

    org = org_config.load(config)
    result = init_template(
        dest,
        defaults={**org.defaults, **parse_data(data or [])},
        fixed={**org.fixed, **parse_data(fixed or [])},
        first_version=tag,
    )
    typer.echo(
        f"Created the org template {result.dest} from scaffold's bundled {result.bundled}; tagged {result.version}."
    )
    for key, value in result.defaults.items():
        typer.echo(f"  default {key} = {value}")
    for key, value in result.fixed.items():
        typer.echo(f"  fixed   {key} = {value} (never asked)")
    typer.echo(f"  branch {BUNDLED_BRANCH}: the pristine bundled template, for `scaffold template upgrade`")
    typer.echo(
        f"Next: cd {result.dest} && scaffold template test --trust && git remote add origin URL && git push --tags"
    )


@template_app.command("test")
def template_test(
    path: Annotated[
        str, typer.Argument(metavar="PATH", help="Template folder (its working tree) or bundled template name.")
    ] = ".",
    skip: Annotated[
        list[str] | None, typer.Option("--skip", metavar="CHECK", help="A check not to run, e.g. hadolint. Repeatable.")
    ] = None,
    answer_set: Annotated[
        list[str] | None, typer.Option("--set", metavar="NAME", help="Only this answer set. Repeatable.")
    ] = None,
    keep: Annotated[
        Path | None, typer.Option("--keep", metavar="DIR", help="Leave the rendered repos in this folder.")
    ] = None,
    trust: Annotated[bool, typer.Option("--trust", help=TRUST_BUILD_HELP)] = False,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Render the answer sets and check each repo.

    The sets come from scaffold-tests.yml; exit 1 if any check fails.

    Checks: go build, go vet, go test, gofmt, hadolint, pre-commit config, devcontainer schema.
    """
    import json

    from generator import config as org_config
    from generator.authoring import run_template_tests
    from generator.report import print_template_tests
    from generator.trust.consent import Consent

    consent = Consent(trust, org_config.load(config).trusted)
    results = run_template_tests(path, skip=skip or [], only=answer_set or [], trusted=consent, keep=keep)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        print_template_tests(results)
    if not all(r.ok for r in results):
        raise typer.Exit(EXIT_ACTION_NEEDED)


@template_app.command("show")
def template_show(
    template: Annotated[
        str | None,
        typer.Argument(
            metavar="TEMPLATE",
            help="A template name, folder or git URL (default: the org's default template, else go-service).",
            autocompletion=_complete_template,
        ),
    ] = None,
    vcs_ref: VcsRefOption = None,
    config: ConfigOption = None,
) -> None:
    """List a template's questions: key, type, default, help.

    The answers `--data KEY=VALUE` (or an answers file) can give.
    """
    import shutil

    from generator import catalog, question_table
    from generator import config as org_config
    from generator.checkouts import checkout
    from generator.new import template_config
    from generator.template_meta import meta_of

    source = catalog.resolve(template, vcs_ref, org_config.load(config))
    with checkout(source) as local:
        questions = template_config(local)
    version = f", version {local.version}" if local.version else ""
    typer.echo(f"Questions of {source.recorded_src}{version}; answer them with --data KEY=VALUE:")
    rows = question_table.rows(questions, meta_of(questions.settings).name_question)
    typer.echo(question_table.format_table(rows, shutil.get_terminal_size((100, 24)).columns))
    never = question_table.derived(questions)
    if never:
        typer.echo(f"Never asked (derived from the answers, or fixed): {', '.join(never)}")


@template_app.command("upgrade")
def template_upgrade(
    path: Annotated[
        Path, typer.Argument(metavar="PATH", help="The org template repo (made by scaffold template init).")
    ] = Path("."),
) -> None:
    """Merge scaffold's bundled template into an org template.

    Exit 1 when files conflict.
    """
    from generator.authoring import BUNDLED_BRANCH, upgrade_template

    result = upgrade_template(path)
    if not result.changed:
        typer.echo(f"{path}: already has scaffold's bundled {result.to_version}; nothing to merge.")
        return
    typer.echo(f"{path}: merged scaffold's bundled template {result.from_version} -> {result.to_version}.")
    if result.conflicts:
        typer.echo(f"Conflicts in {len(result.conflicts)} files (the merge is in progress):", err=True)
        for name in result.conflicts:
            typer.echo(f"  {name}", err=True)
        typer.echo(
            "Resolve them, `git commit`, then `scaffold template test --trust` (or `git merge --abort`).", err=True
        )
        raise typer.Exit(EXIT_ACTION_NEEDED)
    typer.echo(f"Next: scaffold template test --trust && git tag vX.Y.Z (the branch {BUNDLED_BRANCH} moved on)")


def main() -> None:
    """Run the scaffold command line."""
    from generator.completion import register

    register()  # a shell asking for completions gets them in the form typer's scripts read
    app()
