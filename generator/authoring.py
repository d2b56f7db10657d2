"""Org templates: start one from a bundled template, merge later bundled improvements into it, and test it.

An org template made by `scaffold template init` is a git repo whose first commit is the bundled
template exactly as scaffold shipped it; the branch `scaffold/bundled` keeps pointing at such pristine
copies. The org's own changes (default answers, fixed answers, files) are commits on top. Merging a
newer bundled template is then an ordinary three-way git merge with the right merge base.
"""

import json
import re
import shutil
import string
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator import gitrepo, sources, verify
from generator.answers import validate_answer
from generator.config import placeholders
from generator.destination import check_destination, put_in_place, staging_for
from generator.errors import InvalidAnswerError, ScaffoldError, TemplateError, TemplateRefusedError
from generator.questions import TemplateConfig, load_config
from generator.trust import bounded_yaml
from generator.trust.consent import NO_CONSENT, Consent, require_consent_to_build
from generator.trust.guard import check_template_tree
from generator.trust.snapshot import take_snapshot
from generator.version import scaffold_version

BUNDLED_BRANCH = "scaffold/bundled"
BUNDLED_TRAILER = "Scaffold-Bundled-Template"
ANSWER_SETS_FILE = "scaffold-tests.yml"
DEFAULT_FIRST_VERSION = "v0.1.0"
_IGNORED = shutil.ignore_patterns(".git", "__pycache__", "*.pyc")
_ANSWER_SET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass
class InitResult:
    """What `scaffold template init` made."""

    dest: Path
    bundled: str
    version: str
    defaults: dict[str, Any]
    fixed: dict[str, Any]
    commit: str


def init_template(
    dest: Path,
    *,
    defaults: Mapping[str, Any] | None = None,
    fixed: Mapping[str, Any] | None = None,
    first_version: str = DEFAULT_FIRST_VERSION,
    bundled_name: str = sources.DEFAULT_TEMPLATE,
    bundled_dir: Path | None = None,
) -> InitResult:
    """Create an org template at `dest` from a bundled template, as a git repo with its first version tagged.

    `defaults` become the questions' defaults (`{key}` placeholders become Jinja, so `{service_name}`
    follows the answer); `fixed` answers become defaults that are never asked (`when: false`).
    `bundled_dir` replaces the bundled template's folder (tests use it to stand in for a newer scaffold).
    """
    check_destination(dest)
    if sources.parse_version(first_version) is None:
        raise InvalidAnswerError(
            f"--tag {first_version!r} is not a version; accepted: a PEP 440 tag such as {DEFAULT_FIRST_VERSION}"
        )
    source_dir = bundled_dir or sources.bundled(bundled_name).local_path
    assert source_dir is not None
    defaults, fixed = dict(defaults or {}), dict(fixed or {})
    with staging_for(dest) as staging:
        _copy_template(source_dir, staging)
        gitrepo.git(staging, "init", "-q")
        _commit_bundled(staging, bundled_name, "Start from")
        gitrepo.git(staging, "branch", BUNDLED_BRANCH)
        copier_yml = staging / "copier.yml"
        text = copier_yml.read_text(encoding="utf-8")
        config = load_config(staging)
        for key, value in defaults.items():
            text = set_default(text, config, key, value, fixed=False)
        for key, value in fixed.items():
            text = set_default(text, config, key, value, fixed=True)
        copier_yml.write_text(text, encoding="utf-8")
        tests_yml = staging / ANSWER_SETS_FILE
        if fixed and tests_yml.is_file():
            tests_yml.write_text(without_fixed(tests_yml.read_text(encoding="utf-8"), fixed), encoding="utf-8")
        (staging / "README.md").write_text(_readme(dest.name, bundled_name), encoding="utf-8")
        gitrepo.git(staging, "add", "-A")
        gitrepo.git(staging, "commit", "-q", "--no-verify", "-m", _org_message(defaults, fixed))
        gitrepo.git(staging, "tag", first_version)
        commit = gitrepo.head(staging)
        put_in_place(staging, dest)
    return InitResult(dest, f"{bundled_name} {scaffold_version()}", first_version, defaults, fixed, commit)


def _copy_template(source_dir: Path, into: Path) -> None:
    """Copy a template's working tree; links are copied as links, never followed out of the template."""
    shutil.copytree(source_dir, into, ignore=_IGNORED, symlinks=True, dirs_exist_ok=True)


def _commit_bundled(repo: Path, bundled_name: str, verb: str) -> None:
    version = scaffold_version()
    message = (
        f"{verb} scaffold's bundled template {bundled_name} {version}\n\n"
        f"Pristine copy; the branch {BUNDLED_BRANCH} keeps these so later versions merge cleanly.\n\n"
        f"{BUNDLED_TRAILER}: {bundled_name} {version}\n"
    )
    gitrepo.git(repo, "add", "-A")
    gitrepo.git(repo, "commit", "-q", "--no-verify", "--allow-empty", "-m", message)


def _org_message(defaults: Mapping[str, Any], fixed: Mapping[str, Any]) -> str:
    lines = ["Make it the org's template"]
    if defaults or fixed:
        lines.append("")
    if defaults:
        lines.append(f"Org defaults: {', '.join(defaults)}.")
    if fixed:
        lines.append(f"Fixed answers, never asked: {', '.join(fixed)}.")
    return "\n".join(lines) + "\n"


def _readme(name: str, bundled_name: str) -> str:
    return f"""# {name}

A scaffold template for Go services, started from scaffold's bundled `{bundled_name}` template.
Questions and defaults live in `copier.yml`; the files a service gets live in `template/`.

- Use it: `scaffold new my-service --template <this repo's git URL>` (or add it to the org config's catalog).
- Test it: `scaffold template test --trust` renders every answer set in `{ANSWER_SETS_FILE}` and runs
  go build, go vet, go test, gofmt, hadolint, pre-commit and the dev container schema on each.
- Release it: tag a version (`git tag v0.2.0 && git push --tags`); `scaffold update` moves services to it.
- Get scaffold's newer bundled template: `scaffold template upgrade`, then resolve, test and tag.
"""


def jinja_default(value: Any, env: Any = None) -> Any:
    """Turn an org default into copier's Jinja: `{key}` placeholders become `{{ key }}`, all else a literal.

    copier renders a string default as a template, so text the org gave (`{{ 7*7 }}`, `{% ... %}`) is
    written as a Jinja string expression that renders to exactly that text, in `env`'s delimiters (the
    template's `_envops`; Jinja's own by default). Values other than strings pass through.
    """
    if not isinstance(value, str):
        return value
    if not placeholders(value):
        return _jinja_literal(value, env)
    parts = []
    for literal, name, _, _ in string.Formatter().parse(value):
        parts.append(_jinja_literal(literal, env))
        if name is not None:
            parts.append(_expression(name, env))
    return "".join(parts)


def _delimiters(config: TemplateConfig) -> Any:
    """A Jinja environment with the template's `_envops` delimiters, which copier reads its defaults with."""
    from jinja2 import Environment

    envops = config.settings.get("_envops") or {}
    return Environment(**{k: v for k, v in envops.items() if str(k).endswith(("_string", "_prefix"))})


def _expression(code: str, env: Any) -> str:
    start, end = (env.variable_start_string, env.variable_end_string) if env is not None else ("{{", "}}")
    return f"{start} {code} {end}"


def _jinja_literal(text: str, env: Any) -> str:
    """Return Jinja source that renders to `text` itself: `text` unless it holds something Jinja would read."""
    markers = ("{{", "{%", "{#", "}}", "%}", "#}")
    if env is not None:
        markers += tuple(
            m
            for m in (
                env.block_start_string,
                env.variable_start_string,
                env.comment_start_string,
                env.line_statement_prefix,
                env.line_comment_prefix,
            )
            if m
        )
    if not any(m in text for m in markers):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return _expression(f'"{escaped}"', env)


def set_default(text: str, config: TemplateConfig, key: str, value: Any, *, fixed: bool) -> str:
    """Return copier.yml `text` with the question `key` defaulting to `value` (and never asked when `fixed`).

    The file is edited line by line, so comments and layout stay and later merges touch only these lines.
    """
    question = config.question(key)
    if question is None or question.computed:
        asked = ", ".join(q.key for q in config.questions if not q.computed)
        raise InvalidAnswerError(f"{key} is not a question of this template; accepted: {asked}")
    try:
        placeheld = isinstance(value, str) and bool(placeholders(value))
    except ValueError as error:
        raise InvalidAnswerError(
            f"{key} {value!r}: {error}; accepted: {{name}} placeholders of answers, {{{{ and }}}} for literal braces"
        ) from None
    if not placeheld:
        value = validate_answer(key, value)
    rendered = jinja_default(value, _delimiters(config))
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.split("#", 1)[0].rstrip() == f"{key}:"), None)
    if start is None:
        raise TemplateError(f"copier.yml: question {key} is not a block this command can edit; edit it by hand")
    end = next((i for i in range(start + 1, len(lines)) if lines[i][:1] not in ("", " ", "\t", "\n", "#")), len(lines))
    indent = "  "
    wanted = {"default": json.dumps(rendered)}
    if fixed:
        wanted["when"] = "false"
    for setting, shown in wanted.items():
        found = next((i for i in range(start + 1, end) if lines[i].lstrip().startswith(f"{setting}:")), None)
        comment = "  # fixed by the org: never asked" if setting == "when" else ""
        if found is None:
            lines.insert(start + 1, f"{indent}{setting}: {shown}{comment}\n")
            end += 1
        else:
            current_indent = lines[found][: len(lines[found]) - len(lines[found].lstrip())]
            lines[found] = f"{current_indent}{setting}: {shown}{comment}\n"
    edited = "".join(lines)
    spec = (yaml.safe_load(edited) or {}).get(key)
    if not isinstance(spec, dict) or spec.get("default") != rendered or (fixed and spec.get("when") is not False):
        raise TemplateError(f"copier.yml: could not set the default of {key}; edit it by hand")
    return edited


def without_fixed(text: str, fixed: Mapping[str, Any]) -> str:
    """Return scaffold-tests.yml `text` with the answer sets' lines for `fixed` keys turned into comments.

    A fixed answer is never asked, so no answer set may give it: the line stays, commented, saying why.
    """
    lines = []
    for line in text.splitlines(keepends=True):
        content = line.lstrip()
        indent = line[: len(line) - len(content)]
        key = content.partition(":")[0].strip()
        if len(indent) >= 4 and key in fixed and not content.startswith("#"):  # a key inside an answer set
            line = f"{indent}# {content.rstrip()}  (fixed by the org to {fixed[key]}: never asked)\n"
        lines.append(line)
    edited = "".join(lines)
    sets = (yaml.safe_load(edited) or {}).get("answer_sets") or {}
    left = sorted({key for answers in sets.values() if isinstance(answers, dict) for key in answers if key in fixed})
    if left:
        raise TemplateError(f"{ANSWER_SETS_FILE}: answer sets still give {', '.join(left)}, fixed; edit it by hand")
    return edited


def never_asked_in_set(config: TemplateConfig, name: str, answers: Mapping[str, Any]) -> str:
    """Return why answer set `name` cannot be rendered when it gives a key the template never asks, else ""."""
    for key in answers:
        question = config.question(key)
        if question is not None and question.computed:
            asked = ", ".join(q.key for q in config.questions if not q.computed)
            return (
                f"answer set {name} gives {key}, which this template never asks (when: false in copier.yml: "
                f"fixed by the org, or derived from other answers); accepted: {asked}"
            )
    return ""


@dataclass
class UpgradeResult:
    """What `scaffold template upgrade` did."""

    path: Path
    from_version: str
    to_version: str
    changed: bool
    """Whether the bundled template differed from the last one merged."""
    conflicts: list[str] = field(default_factory=list)


def upgrade_template(path: Path, *, bundled_name: str | None = None, bundled_dir: Path | None = None) -> UpgradeResult:
    """Commit this scaffold's bundled template onto `scaffold/bundled` in the org template at `path`, and merge it.

    The merge is left in progress when files conflict (`git status` lists them); resolve, commit, test, tag.
    """
    if not gitrepo.is_repo(path):
        raise TemplateError(f"{path} is not a git repository; accepted: an org template made by scaffold template init")
    if gitrepo.git(path, "rev-parse", "--verify", "--quiet", BUNDLED_BRANCH, check=False).returncode != 0:
        raise TemplateError(
            f"{path} has no {BUNDLED_BRANCH} branch; accepted: an org template made by scaffold template init"
        )
    if not gitrepo.is_clean(path):
        raise TemplateError(f"{path} has uncommitted changes; commit or stash them first")
    last = gitrepo.git(path, "log", "-1", "--format=%(trailers:key=" + BUNDLED_TRAILER + ",valueonly)", BUNDLED_BRANCH)
    from_version = last.stdout.strip() or "unknown"
    name = bundled_name or (from_version.split()[0] if from_version != "unknown" else sources.DEFAULT_TEMPLATE)
    source_dir = bundled_dir or sources.bundled(name).local_path
    assert source_dir is not None
    to_version = f"{name} {scaffold_version()}"
    with tempfile.TemporaryDirectory(prefix="scaffold-bundled-") as tmp:
        worktree = Path(tmp) / "bundled"
        gitrepo.git(path, "worktree", "add", "--quiet", str(worktree), BUNDLED_BRANCH)
        try:
            gitrepo.git(worktree, "rm", "-r", "-q", "--ignore-unmatch", ".")
            _copy_template(source_dir, worktree)
            gitrepo.git(worktree, "add", "-A")
            changed = not gitrepo.is_clean(worktree)
            if changed:
                _commit_bundled(worktree, name, "Update to")
        finally:
            gitrepo.git(path, "worktree", "remove", "--force", str(worktree), check=False)
    message = f"Merge scaffold's bundled template {to_version}"
    merged = gitrepo.git(path, "merge", "--no-ff", "--no-edit", "-m", message, BUNDLED_BRANCH, check=False)
    conflicts = gitrepo.git(path, "diff", "--name-only", "--diff-filter=U").stdout.split()
    if merged.returncode != 0 and not conflicts:
        detail = (merged.stderr or merged.stdout).strip().splitlines()
        raise TemplateError(f"git merge {BUNDLED_BRANCH} failed in {path}: {detail[-1] if detail else 'no output'}")
    return UpgradeResult(path, from_version, to_version, changed, conflicts)


@dataclass
class AnswerSetResult:
    """One answer set of `scaffold template test`: the answers, and each check's result."""

    name: str
    answers: dict[str, Any]
    checks: list[verify.CheckResult]

    @property
    def ok(self) -> bool:
        """Whether every check passed or was skipped."""
        return all(check.ok for check in self.checks)

    def as_dict(self) -> dict[str, Any]:
        """Return the result as plain data, for `--json`."""
        return {
            "answer_set": self.name,
            "answers": self.answers,
            "ok": self.ok,
            "checks": [c.as_dict() for c in self.checks],
        }


def template_folder(path: str) -> Path:
    """Return the template folder `path` names: a folder with a copier.yml, or a bundled template's name."""
    folder = Path(path).expanduser()
    if not folder.is_dir() and path in sources.bundled_names():
        local = sources.bundled(path).local_path
        assert local is not None
        return local
    if not (folder / "copier.yml").is_file() and not (folder / "copier.yaml").is_file():
        raise TemplateError(f"{path} is not a template folder (no copier.yml); accepted: a copier template folder")
    return folder.resolve()


def _as_source(folder: Path) -> sources.TemplateSource:
    """Return the template in `folder` as a source: the bundled one, when it is one."""
    for name in sources.bundled_names():
        bundled = sources.bundled(name)
        if Path(bundled.src).resolve() == folder:
            return bundled
    return sources.TemplateSource(src=str(folder), recorded_src=str(folder))


def answer_sets(folder: Path, shown: Path | None = None) -> dict[str, dict[str, Any]]:
    """Return the answer sets the template at `folder` declares in scaffold-tests.yml ({"defaults": {}} if none).

    Messages name the file under `shown` (the user's template folder when `folder` is a private copy of it).
    """
    path = (shown or folder) / ANSWER_SETS_FILE
    if not (folder / ANSWER_SETS_FILE).is_file():
        return {"defaults": {}}
    try:
        data = bounded_yaml.load((folder / ANSWER_SETS_FILE).read_text(encoding="utf-8"), str(path)) or {}
    except yaml.YAMLError as error:
        raise TemplateError(f"{path} is not valid YAML: {str(error).splitlines()[0]}") from None
    sets = data.get("answer_sets") if isinstance(data, dict) else None
    if not isinstance(sets, dict) or not sets or not all(isinstance(v or {}, dict) for v in sets.values()):
        raise TemplateError(
            f"{path}: answer_sets is not valid; accepted: a mapping of set names to answers, e.g. answer_sets: "
            "{defaults: {}, lean: {enable_pprof: false}}"
        )
    for name in sets:
        if not isinstance(name, str) or not _ANSWER_SET_NAME.match(name):
            raise TemplateError(
                f"{path}: answer set name {name!r} is not valid (it names the folder the set renders into); "
                "accepted: letters, digits, '.', '_' and '-', starting with a letter or digit"
            )
    return {str(name): dict(answers or {}) for name, answers in sets.items()}


def run_template_tests(
    path: str,
    *,
    env: Mapping[str, str] | None = None,
    skip: Iterable[str] = (),
    only: Iterable[str] = (),
    trusted: Consent = NO_CONSENT,
    keep: Path | None = None,
) -> list[AnswerSetResult]:
    """Render the template at `path` (its working tree, edits included) once per answer set, and check each repo.

    `only` restricts the answer sets by name; `keep` is a folder to leave the rendered repos in.
    """
    from generator.new import NewRequest, create

    folder = template_folder(path)
    require_consent_to_build(_as_source(folder), trusted)
    skip = verify.check_names(skip)
    results = []
    with tempfile.TemporaryDirectory(prefix="scaffold-template-test-") as tmp:
        copy = Path(tmp) / "template"
        take_snapshot(folder, copy, str(folder))  # a plain folder: renders the working tree, not the newest tag
        # Every link is judged before a byte of the copy is read: copier.yml or scaffold-tests.yml may be a
        # link to a file outside the template, whose content must never reach a message.
        check_template_tree(copy, str(folder))
        sets = answer_sets(copy, shown=folder)
        wanted = list(only)
        unknown = [name for name in wanted if name not in sets]
        if unknown:
            raise ScaffoldError(f"--set {unknown[0]!r} is not an answer set of {path}; accepted: {', '.join(sets)}")
        source = sources.TemplateSource(src=str(copy), recorded_src=str(folder))
        config = load_config(copy, trusted=trusted.covers(source))
        out = keep if keep is not None else Path(tmp) / "rendered"
        for name, answers in sets.items():
            if wanted and name not in wanted:
                continue
            dest = out / name
            service = str(answers.get("service_name") or "my-service")
            refused = never_asked_in_set(config, name, answers)
            if refused:
                results.append(AnswerSetResult(name, answers, [verify.CheckResult("render", "failed", refused)]))
                continue
            try:
                create(NewRequest(service, dest, source, given=answers, git_init=False, trusted=trusted))
            except TemplateRefusedError:
                raise  # not a failed check: the template is refused as a whole
            except ScaffoldError as error:
                failed = verify.CheckResult("render", "failed", error.message)
                results.append(AnswerSetResult(name, answers, [failed]))
                continue
            checks = [verify.CheckResult("render", "passed", f"{dest.name}: rendered")]
            checks += verify.run_checks(dest, env, skip=skip)
            results.append(AnswerSetResult(name, answers, checks))
    return results
