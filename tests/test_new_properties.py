"""`scaffold new` on generated input: it either creates a repo recording the answers given or explains in one line.

Hypothesis generates names, `--data` pairs, answers files, org config files and destinations, valid
and not (unicode, huge, control characters, paths under files, unwritable and missing parents), and
runs the real command line in-process on each. Every run must exit 0 with a rendered repo whose
answers file records what was given, or exit 2 with exactly one line on stderr and the folder exactly
as it was: never a traceback. Building is only spot-checked here: the first BUILT_SAMPLE repos made
from answers other than the defaults are built with `go build` (a build per example would take the
run from minutes to hours); test_generated_repo builds, vets and tests the generated code.
"""

import os
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from generator.answers import KNOWN_KEYS, control_character
from generator.failures import DEBUG_ENV
from tests.cli import scaffold

EXAMPLES = int(os.environ.get("SCAFFOLD_PROPERTY_EXAMPLES", "300"))
BUILT_SAMPLE = 3  # repos built with go build: the first successes whose answers differ from the defaults
ROOT = os.geteuid() == 0

VALID = {
    "service_name": ["svc", "a", "payments-api", "x" * 63],
    "module_path": ["github.com/acme/svc", "example.com/a/b", "gitlab.example.org/team/sub/svc", "x.io/v2"],
    "description": ["A service.", "Zahlungen: Übersicht & Co.", "服务"],
    "go_version": ["1.27", "1.26", "1.25"],
    "port": ["8080", "9090", "1024", "65535"],
    "enable_pprof": ["true", "false", "yes", "0"],
    "pprof_port": ["6060", "7070"],
    "memory_limit": ["512Mi", "64Mi", "1Gi", "256M", "536870912", "3Ti"],
    "cpu_limit": ["1", "500m", "2", "1.5"],
    "runtime_image": ["distroless", "scratch", "alpine"],
}
CONTROL = ["\n", "\t", "\r", "\x1b", "\x7f", "\u202e", "\u2028", "\x00"]

# Text a user could type or paste: any printable unicode, plus what breaks files (control characters).
printable = st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=40)
with_control = st.tuples(printable, st.sampled_from(CONTROL), printable).map("".join)
huge = st.integers(300, 20_000).map(lambda n: "9" * n)
# Numbers at the edges of what Python converts: int() refuses more than 4300 digits, isdigit() takes
# '²', Decimal overflows on an exponent of a million.
odd_numbers = st.sampled_from(["9" * 4301, "²", "٨٠٨٠", "1e1000000", "1e" + "9" * 4301, "9" * 4301 + "m", "0x1F90"])


def argv_text(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Text that can be a command-line argument: a real argv cannot hold NUL."""
    return strategy.map(lambda text: text.replace("\x00", ""))


def answer_value(key: str, wild: bool) -> st.SearchStrategy[str]:
    valid = st.sampled_from(VALID.get(key, ["x"]))
    return st.one_of(valid, valid, printable, with_control, huge, odd_numbers) if wild else valid


known_keys = st.sampled_from(KNOWN_KEYS)
wild_keys = st.one_of(known_keys, known_keys, st.sampled_from(["colour", "_commit", "", " port"]), printable)


@st.composite
def answers(draw: st.DrawFn, wild: bool, max_size: int = 4) -> dict[str, Any]:
    """Answers by key: known keys with accepted values, or (`wild`) any key with any value."""
    chosen = draw(st.lists(wild_keys if wild else known_keys, max_size=max_size, unique=True))
    return {key: draw(answer_value(key, wild)) for key in chosen}


@dataclass
class Case:
    """One run of `scaffold new`: the files to set up first and the arguments."""

    name: str
    dest: str | None
    data: dict[str, str]
    answers_file: str | None  # "valid", "yaml-error", "not-a-mapping", "folder", "missing", "binary"
    answers_in_file: dict[str, Any] = field(default_factory=dict)
    config: str | None = None  # "valid", "toml-error", "unknown-key", "bad-answer"
    config_answers: dict[str, Any] = field(default_factory=dict)
    git: bool = False
    pretend: bool = False

    def arguments(self, root: Path) -> list[str]:
        """Write the files this case needs under `root` and return the `scaffold new` arguments."""
        args = ["new", self.name]
        if self.dest is not None:
            args.append(self._destination(root))
        for key, value in self.data.items():
            args += ["--data", f"{key}={value}"]
        if self.answers_file is not None:
            args += ["--answers-file", self._answers_file(root)]
        if self.config is not None:
            args += ["--config", self._config_file(root)]
        args += ["--defaults"] + ([] if self.git else ["--no-git"]) + (["--pretend"] if self.pretend else [])
        return args

    def _destination(self, root: Path) -> str:
        kind, _, name = str(self.dest).partition(":")
        if kind == "under-file":
            (root / "a-file").write_text("mine\n")
            return str(root / "a-file" / name)
        if kind == "unwritable":
            if ROOT:  # root writes through file modes; sysfs refuses it a new folder
                return f"/sys/{name or 'x'}"
            locked = root / "locked"
            locked.mkdir()
            locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
            return str(locked / name)
        if kind == "missing-parents":
            return str(root / "not" / "yet" / name)
        if kind == "non-empty":
            (root / name).mkdir(exist_ok=True)
            (root / name / "keep.txt").write_text("mine\n")
            return str(root / name)
        return str(root / name)

    def _answers_file(self, root: Path) -> str:
        path = root / "answers.yml"
        kind = self.answers_file
        if kind == "valid":
            path.write_text(yaml.safe_dump(self.answers_in_file, allow_unicode=True), encoding="utf-8")
        elif kind == "yaml-error":
            path.write_text("port: [8080\nmemory_limit: 1Gi\n", encoding="utf-8")
        elif kind == "not-a-mapping":
            path.write_text("- port\n- 8080\n", encoding="utf-8")
        elif kind == "folder":
            path.mkdir()
        elif kind == "binary":
            path.write_bytes(b"\xff\xfe\x00port")
        return str(path)

    def _config_file(self, root: Path) -> str:
        path = root / "org.toml"
        kind = self.config
        if kind == "valid":
            lines = ["[defaults]"] + [f"{_toml_key(k)} = {_toml_string(v)}" for k, v in self.config_answers.items()]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        elif kind == "toml-error":
            path.write_text("[defaults\nport = 8080\n", encoding="utf-8")
        elif kind == "unknown-key":
            path.write_text('colour = "blue"\n', encoding="utf-8")
        elif kind == "bad-answer":
            path.write_text('[fixed]\nport = "eighty"\n', encoding="utf-8")
        return str(path)


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() or c == " " else f"\\u{ord(c):04x}" for c in escaped) + '"'


def _toml_key(key: str) -> str:
    return _toml_string(key)


service_names = st.from_regex(r"[a-z](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
wild_names = st.one_of(service_names, argv_text(printable), argv_text(with_control), huge)
folder_names = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)
destinations = st.one_of(st.none(), st.sampled_from(["plain", "missing-parents"]).map(lambda kind: f"{kind}:dest"))
wild_destinations = st.one_of(
    destinations,
    st.tuples(
        st.sampled_from(["plain", "under-file", "unwritable", "missing-parents", "non-empty"]),
        st.one_of(folder_names, argv_text(printable), argv_text(with_control)),
    ).map(lambda pair: f"{pair[0]}:{pair[1].replace('/', '_')}"),
    st.integers(256, 5000).map(lambda n: "plain:" + "d" * n),
)
WILD_ANSWERS_FILES = ["valid", "valid", "yaml-error", "not-a-mapping", "folder", "missing", "binary"]
WILD_CONFIG_FILES = ["valid", "valid", "toml-error", "unknown-key", "bad-answer"]


FLAWS = [None, "name", "dest", "data", "answers file", "config", "everything"]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A run of `scaffold new`: all input accepted, one part drawn from anything, or every part."""
    flaw = draw(st.sampled_from(FLAWS))
    event(f"flawed: {flaw}")

    def wild(part: str) -> bool:
        return flaw in (part, "everything")

    data = draw(answers(wild("everything")))
    if wild("data"):
        data[draw(known_keys)] = draw(st.one_of(printable, with_control, huge, odd_numbers))
    return Case(
        name=draw(wild_names if wild("name") else service_names),
        dest=draw(wild_destinations if wild("dest") else destinations),
        data={key.replace("\x00", ""): value.replace("\x00", "") for key, value in data.items()},
        answers_file=draw(st.sampled_from([None, *WILD_ANSWERS_FILES] if wild("answers file") else [None, "valid"])),
        answers_in_file=draw(answers(wild("answers file"))),
        config=draw(st.sampled_from([None, *WILD_CONFIG_FILES] if wild("config") else [None, "valid"])),
        config_answers=draw(answers(wild("config"), max_size=2)),
        git=draw(st.integers(0, 9)) == 0,
        pretend=draw(st.integers(0, 9)) == 0,
    )


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path below `root` with a file's content (None for a folder)."""
    found: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            found[os.path.relpath(os.path.join(dirpath, name), root)] = None
        for name in filenames:
            path = os.path.join(dirpath, name)
            found[os.path.relpath(path, root)] = Path(path).read_bytes()
    return found


def unlock(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            path.chmod(stat.S_IRWXU)


built: list[Path] = []


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(case=cases())
def test_new_either_creates_a_repo_recording_its_answers_or_explains_in_one_line_and_writes_nothing(
    case: Case, go_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DEBUG_ENV, "1")  # a bug (exit 70) then shows its traceback in the failure report
    with tempfile.TemporaryDirectory(prefix="scaffold-property-") as work:
        root = Path(work)
        try:
            args = case.arguments(root)
            before = snapshot(root)
            code, out, err = scaffold(root, *args)
            event(f"exit {code}" + (" (pretend)" if case.pretend and code == 0 else ""))
            assert code in (0, 2), f"exit {code} for {args}:\n{err}"
            assert "Traceback" not in err and "Traceback" not in out
            if code == 2:
                assert err.startswith("error: ") and err.endswith("\n"), err
                assert err.count("\n") == 1, err  # exactly one line
                assert out == ""
                assert snapshot(root) == before  # nothing written, nothing left behind
                event(f"refused: {err.split()[1][:20]}")
                return
            assert code == 0, f"exit {code}: {err}"
            created = _created_repo(root, args, case)
            if case.pretend:
                assert snapshot(root) == before
                return
            recorded = yaml.safe_load((created / ".copier-answers.yml").read_text(encoding="utf-8"))
            assert recorded["service_name"] == case.name
            for key, value in case.data.items():
                if key.strip() in recorded and isinstance(recorded[key.strip()], str):
                    assert recorded[key.strip()] == value.strip()  # recorded as given
            assert not any(control_character(str(value)) for value in recorded.values())
            if len(built) < BUILT_SAMPLE and (case.data or case.answers_file == "valid" or case.config == "valid"):
                subprocess.run(["go", "build", "./..."], cwd=created, env=go_env, check=True, capture_output=True)
                built.append(created)
        finally:
            unlock(root)


def _created_repo(root: Path, args: list[str], case: Case) -> Path:
    dest = Path(args[2]) if case.dest is not None else root / case.name
    return dest if dest.is_absolute() else root / dest
