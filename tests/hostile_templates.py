"""A gallery of small hostile copier templates, one per attack, and the world they attack.

Each attack turns a tiny benign template into a hostile one. Those that would run a command make it
create the canary file; those that would read or write outside the new repo aim at the `outside`
folder, whose files a test snapshots before and compares after. Templates cannot carry a `.git`
folder or a symlink in this repo's own history, so the gallery is code that writes them.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from jinja2 import Environment
from jinja2.ext import Extension

from tests.template_repos import git


@dataclass(frozen=True)
class World:
    """Where an attack aims: a folder outside every destination, and a canary no command may create."""

    root: Path

    @property
    def outside(self) -> Path:
        return self.root / "outside"

    @property
    def canary(self) -> Path:
        return self.root / "canary"

    @property
    def command(self) -> str:
        """A shell command an attack runs: it creates the canary."""
        return f"touch {self.canary}"

    def prepare(self) -> "World":
        self.outside.mkdir(parents=True)
        (self.outside / "secret.yml").write_text("token: s3cr3t-from-outside\n")
        (self.outside / "victim.yml").write_text("mine: true\n")
        (self.outside / "keep.txt").write_text("the user's file\n")
        return self

    def snapshot(self) -> dict[str, bytes]:
        """Every file under the outside folder, with its content (a link's target)."""
        found = {}
        for path in sorted(self.outside.rglob("*")):
            name = path.relative_to(self.outside).as_posix()
            found[name] = (
                os.readlink(path).encode() if path.is_symlink() else path.read_bytes() if path.is_file() else b""
            )
        return found


def benign_template(folder: Path) -> Path:
    """Write a minimal template: a service_name question, one rendered file and copier's answers file."""
    folder.mkdir(parents=True)
    (folder / "copier.yml").write_text("service_name:\n  type: str\n  default: svc\n  help: The service name\n")
    (folder / "README.md.jinja").write_text("# {{ service_name }}\n")
    answers = "# Changes here will be overwritten by Copier\n{{ _copier_answers|to_nice_yaml -}}\n"
    (folder / "{{ _copier_conf.answers_file }}.jinja").write_text(answers)
    return folder


def settings(**changes: object) -> Callable[[Path, World], None]:
    """Return an attack that sets copier settings (`_answers_file`, `_tasks`, ...) in copier.yml."""

    def attack(template: Path, world: World) -> None:
        config = yaml.safe_load((template / "copier.yml").read_text())
        config.update({key: _filled(value, world) for key, value in changes.items()})
        (template / "copier.yml").write_text(yaml.safe_dump(config, sort_keys=False))

    return attack


def _filled(value: object, world: World) -> object:
    if isinstance(value, str):
        return value.format(world=world)
    if isinstance(value, list):
        return [_filled(v, world) for v in value]
    if isinstance(value, dict):
        return {k: _filled(v, world) for k, v in value.items()}
    return value


def files(entries: dict[str, str]) -> Callable[[Path, World], None]:
    """Return an attack that adds template files (names and contents may use {world.*})."""

    def attack(template: Path, world: World) -> None:
        for name, content in entries.items():
            path = template / name.format(world=world)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content.format(world=world))

    return attack


def symlink(name: str, target: str, **copier_settings: object) -> Callable[[Path, World], None]:
    """Return an attack that adds a symlink to the template (target may use {world.*})."""

    def attack(template: Path, world: World) -> None:
        if copier_settings:
            settings(**copier_settings)(template, world)
        link = template / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target.format(world=world))

    return attack


def both(*attacks: Callable[[Path, World], None]) -> Callable[[Path, World], None]:
    def attack(template: Path, world: World) -> None:
        for each in attacks:
            each(template, world)

    return attack


def rendered(entries: dict[str, str]) -> Callable[[Path, World], None]:
    """Return an attack that adds template files and keeps copier from excluding any of them."""
    return both(settings(_exclude=["copier.yml"]), files(entries))


def executable_bare_repository(template: Path, world: World) -> None:
    """A folder git takes for a repository although `objects` and `refs` are files: git only checks they exist."""
    files({"sub/HEAD": "ref: refs/heads/main\n", "sub/config": BARE_CONFIG, "sub/objects": "", "sub/refs": ""})(
        template, world
    )
    for name in ("objects", "refs"):
        (template / "sub" / name).chmod(0o755)


LOOK_ALIKE = "ScaffoldExtensionEvil"
"""The look-alike's class name in generator.jinja_ext, where `look_alike_extension` puts it for a test."""


def look_alike_extension(world: World) -> type[Extension]:
    """A Jinja extension that runs code when loaded (it creates the canary): the look-alike's payload."""

    class LookAlike(Extension):
        def __init__(self, environment: Environment) -> None:
            super().__init__(environment)
            world.canary.touch()

    return LookAlike


def linked_copier_yml(template: Path, world: World) -> None:
    """copier.yml itself a link to a file outside the template: a private key, with a control character."""
    (world.outside / "private.yml").write_text('key: "-----BEGIN KEY----- s3cr3t-key\x07"\n')
    (template / "copier.yml").unlink()
    (template / "copier.yml").symlink_to(world.outside / "private.yml")


def billion_laughs(levels: int = 9) -> str:
    """YAML whose aliases expand to 10^levels nodes, while the text is a few hundred bytes."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def yaml_bomb_in_tasks(template: Path, world: World) -> None:
    """copier.yml whose `_tasks` are a billion-laughs: describing them would take gigabytes."""
    text = (template / "copier.yml").read_text()
    (template / "copier.yml").write_text(text + "_bomb:\n" + _indented(billion_laughs()) + "_tasks: *l8\n")


def yaml_bomb_in_an_include(template: Path, world: World) -> None:
    """copier.yml `!include`s a file whose `_tasks` are a billion-laughs: copier.yml itself is small and plain."""
    (template / "settings.yml").write_text("_bomb:\n" + _indented(billion_laughs()) + "_tasks: *l8\n")
    text = (template / "copier.yml").read_text()
    (template / "copier.yml").write_text(text + "---\n!include settings.yml\n")


def _indented(text: str) -> str:
    return "".join(f"  {line}\n" for line in text.splitlines())


def fifo(template: Path, world: World) -> None:
    """A named pipe in the template: reading it would wait forever."""
    os.mkfifo(template / "pipe.txt")


FSMONITOR = '[core]\n\tfsmonitor = "{world.command}; false"\n'
BARE_CONFIG = '[core]\n\tbare = false\n\tworktree = ..\n\tfsmonitor = "{world.command}; false"\n'
HOOK = "#!/bin/sh\n{world.command}\n"

NEVER_ALLOWED: dict[str, Callable[[Path, World], None]] = {
    # .git, however spelt: git would run the fsmonitor or hooks on scaffold's own git commands. copier's
    # default `_exclude` drops a rendered `.git`, so each of these also replaces it, as any template may.
    "git config with fsmonitor": rendered({"{{{{ '.git' }}}}/config": FSMONITOR}),
    "git hook": rendered({"{{{{ '.git' }}}}/hooks/post-commit": HOOK, "{{{{ '.git' }}}}/hooks/pre-commit": HOOK}),
    "upper-case .GIT": rendered({".GIT/config": FSMONITOR}),
    ".git with a trailing dot": rendered({".git./config": FSMONITOR}),
    "gitfile pointing outside": rendered({"{{{{ '.git' }}}}": "gitdir: {world.outside}\n"}),
    "nested .git in a sub-folder": rendered({"vendor/lib/{{{{ '.git' }}}}/config": FSMONITOR}),
    "zero-width .git (HFS+)": rendered({".g\u200cit/config": FSMONITOR}),
    ".git as an NTFS stream": rendered({".git::$INDEX_ALLOCATION/config": FSMONITOR}),
    "bare repository of executable files": executable_bare_repository,
    "embedded bare repository": files(
        {"sub/HEAD": "ref: refs/heads/main\n", "sub/config": FSMONITOR, "sub/objects/.keep": "", "sub/refs/.keep": ""}
    ),
    # Reading or writing outside the new repo.
    "answers file outside": settings(_answers_file="../../outside/victim.yml"),
    "answers file absolute": settings(_answers_file="{world.outside}/victim.yml"),
    "answers file rendered outside": settings(_answers_file="{{{{ '../' * 6 }}}}outside/victim.yml"),
    "answers file in .git": settings(_answers_file=".git/config"),
    "external data outside": both(
        settings(_external_data={"stolen": "../../outside/secret.yml"}),
        files({"stolen.txt.jinja": "{{{{ _external_data.stolen.token }}}}\n"}),
    ),
    "external data absolute": both(
        settings(_external_data={"stolen": "{world.outside}/secret.yml"}),
        files({"stolen.txt.jinja": "{{{{ _external_data.stolen.token }}}}\n"}),
    ),
    # inside the repo, yet its git files: FETCH_HEAD and the config can name a remote with its token
    "external data in the repo's .git": both(
        settings(_external_data={"head": "{{{{ '.git' }}}}/HEAD"}),
        files({"head.txt.jinja": "{{{{ _external_data.head }}}}\n"}),
    ),
    "subdirectory outside": settings(_subdirectory="../../outside"),
    "file name escaping": files({"{{{{ '..' }}}}/{{{{ '..' }}}}/outside/pwned.txt": "pwned\n"}),
    "file name absolute": both(
        settings(target={"type": "str", "default": "{world.outside}", "when": False}),
        files({"{{{{ target }}}}/pwned.txt": "pwned\n"}),
    ),
    "symlink to a file outside": symlink("leak.txt", "{world.outside}/secret.yml"),
    "symlinked folder outside": symlink("data", "{world.outside}"),
    "preserved symlink outside": symlink("link", "{world.outside}", _preserve_symlinks=True),
    "relative symlink climbing out": symlink("up", "../../../../../../../..", _preserve_symlinks=True),
    "copier.yml linked outside": linked_copier_yml,
    # a link inside the new repo, into what becomes its .git once scaffold makes the repo: whatever later writes
    # through it (an editor, a tool, an update) writes git's config or hooks
    "preserved symlink into .git": symlink("hooks", ".git/hooks", _preserve_symlinks=True),
    "preserved symlink into .git, spelt around": both(
        symlink("sub/up", "..", _preserve_symlinks=True), symlink("config", "sub/up/.GIT/config")
    ),
    "link in a loop": symlink("loop", "loop", _preserve_symlinks=True),
    "links in a loop through each other": both(symlink("a", "b"), symlink("b", "a")),
    "folders nested past the limit": files({"/".join(["d"] * 80) + "/deep.txt": "deep\n"}),
    "rendered names nested past the limit": both(
        settings(deep={"type": "str", "default": "d/" * 80, "when": False}),
        files({"{{{{ deep }}}}deep.txt": "deep\n"}),
    ),
    "FIFO": fifo,
    "billion-laughs in copier.yml": yaml_bomb_in_tasks,
    "billion-laughs in a file copier.yml includes": yaml_bomb_in_an_include,
    "a repetition of gigabytes": files({"big.txt.jinja": "{{{{ 'x' * 10 ** 10 }}}}\n"}),
    # rendered while the questions are, before any file: the same bounds hold there
    "a default of gigabytes": settings(big={"type": "str", "default": "{{{{ 'x' * 10 ** 10 }}}}"}),
    "a power too large to compute": files({"big.txt.jinja": "{{{{ 10 ** 100000000 }}}}\n"}),
    "a padding of gigabytes": files({"big.txt.jinja": "{{{{ 'x'.ljust(10 ** 10) }}}}\n"}),
    "a tab expansion of gigabytes": files({"big.txt.jinja": "{{{{ ('\\t' * 1000).expandtabs(10 ** 7) }}}}\n"}),
    "a centre filter of gigabytes": files({"big.txt.jinja": "{{{{ 'x' | center(10 ** 10) }}}}\n"}),
    "an indent filter of gigabytes": files({"big.txt.jinja": "{{{{ 'a\\nb' | indent(10 ** 10) }}}}\n"}),
    "write through a preserved symlink": both(
        symlink("link", "{world.outside}", _preserve_symlinks=True),
        files({"{{{{ 'link' }}}}/pwned.txt": "pwned\n"}),
    ),
}
"""Attacks refused whatever the consent."""

SLOW = files(
    {"slow.txt.jinja": "{{% for a in range(100000) %}}{{% for b in range(100000) %}}{{% endfor %}}{{% endfor %}}\n"}
)
"""A render that would run for hours: nested loops, each within Jinja's sandbox range limit."""

SLOW_DEFAULT = settings(
    slow={
        "type": "str",
        "default": "{{% for a in range(100000) %}}{{% for b in range(100000) %}}{{% endfor %}}{{% endfor %}}",
    }
)
"""A question's default that would take hours to render: the questions are held to the render's time limit."""

HUNGRY_DEFAULT = settings(big={"type": "str", "default": "{{{{ '%0999999999d' % 1 }}}}"})
"""A question's default formatted, in C, to a gigabyte: the questions are held to the render's memory limit."""

HUNDRED_KB = "{{% for j in range(10000) %}}0123456789{{% endfor %}}"
"""A file's text of 100,000 bytes."""

LARGE: dict[str, Callable[[Path, World], None]] = {
    # copier's yield tag renders one template file as many: here 1000 files of 100 kB, 100 MB in all
    "a thousand files of 100 kB each": files(
        {"{{% yield i from range(1000) %}}part{{{{ i }}}}.txt{{% endyield %}}.jinja": HUNDRED_KB}
    ),
    "a file of gigabytes from a loop": files(
        {"big.txt.jinja": "{{% for a in range(100000) %}}" + HUNDRED_KB + "{{% endfor %}}"}
    ),
    "a hundred thousand files": files(
        {"{{% yield i from range(100000) %}}f{{{{ i }}}}.txt{{% endyield %}}.jinja": "x"}
    ),
}
"""Renders far past the size or file limits (tests lower the limits to 1 MiB and 200 files, to stay quick)."""

HUNGRY: dict[str, Callable[[Path, World], None]] = {
    # text Jinja builds itself, out of the output's count (a namespace, a block, a format in C): 2^41 bytes
    "a namespace doubling a string": files(
        {
            "big.txt.jinja": '{{% set ns = namespace(x="ab") %}}{{% for i in range(40) %}}'
            "{{% set ns.x = ns.x ~ ns.x %}}{{% endfor %}}{{{{ ns.x | length }}}}\n"
        }
    ),
    "a set block of gigabytes": files(
        {
            "big.txt.jinja": "{{% set x %}}{{% for i in range(100000) %}}{{{{ 'x' * 100000 }}}}{{% endfor %}}"
            "{{% endset %}}{{{{ x | length }}}}\n"
        }
    ),
    "a format width of gigabytes": files({"big.txt.jinja": "{{{{ '%0*d' % (10 ** 10, 1) }}}}\n"}),
}
"""Renders that build gigabytes in memory before writing any (tests lower the memory limit to 256 MiB)."""

ALLOCATING_TASK = "python3 -c \"b = bytearray(600 * 1024 * 1024); open('task-ran', 'w').write(str(len(b)))\""
"""A task that takes 600 MiB of memory: more than the tests' memory limit, which tasks are not held to."""

NEEDS_CONSENT: dict[str, Callable[[Path, World], None]] = {
    "task": settings(_tasks=["{world.command}"]),
    "task as a mapping": settings(_tasks=[{"command": "{world.command}"}]),
    "migration": settings(_migrations=[{"version": "v2.0.0", "command": "{world.command}"}]),
    "foreign Jinja extension": settings(_jinja_extensions=["jinja2.ext.do"]),
    "look-alike of scaffold's extension": settings(_jinja_extensions=[f"generator.jinja_ext.{LOOK_ALIKE}"]),
    # loadable, unlike the module itself: only the exact import path counts as scaffold's own
    "scaffold's extension spelt another way": settings(_jinja_extensions=["generator.jinja_ext:ScaffoldExtension"]),
    "filters that read the machine": files(
        {"leak.txt.jinja": "{{{{ '$HOME'|expandvars }}}} {{{{ '~'|expanduser }}}} {{{{ '/etc/*'|fileglob }}}}\n"}
    ),
}
"""Attacks refused unless the user consents (--trust or a trusted entry)."""


def hostile_template(folder: Path, world: World, attack: Callable[[Path, World], None]) -> Path:
    """Write the benign template into `folder` and apply `attack` to it."""
    benign_template(folder)
    attack(folder, world)
    return folder


def git_template(folder: Path) -> Path:
    """Make the template in `folder` a git repo tagged v1.0.0."""
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "First version")
    git(folder, "tag", "v1.0.0")
    return folder


def release_attack(template: Path, world: World, attack: Callable[[Path, World], None], tag: str = "v2.0.0") -> None:
    """Apply `attack` to the git template, commit it and tag it `tag` (a new hostile release)."""
    attack(template, world)
    git(template, "add", "-A")
    git(template, "commit", "-q", "-m", f"Release {tag}")
    git(template, "tag", tag)
