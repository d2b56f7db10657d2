"""The bundled copier template, translated for cookiecutter (benchmarks/run writes it afresh each run).

The benchmark times `cookiecutter --no-input` on it against `copier copy --defaults` and `scaffold new
--defaults` on the original, so it must render the same files with the same Jinja work: the same
questions and defaults, the same derived values (through the same Jinja extension), `.jinja` files
rendered and the others copied as they are. Copier's validators have no cookiecutter equivalent and
are left out. `python benchmarks/to_cookiecutter.py DEST` writes it to DEST to look at.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "templates" / "go-service"
PROJECT_DIR = "{{ cookiecutter.service_name }}"
COPIER_ANSWERS_FILE = "{{ _copier_conf.answers_file }}"
ANSWERS_FILE = f"{COPIER_ANSWERS_FILE}.jinja"
JINJA_SPAN = re.compile(r"({{.*?}}|{%.*?%})", re.DOTALL)
RAW_BLOCK = re.compile(r"{%-?\s*raw\s*-?%}.*?{%-?\s*endraw\s*-?%}", re.DOTALL)


def questions(copier_yml: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Return cookiecutter.json's variables and the rename of each copier variable in the templates."""
    context: dict[str, Any] = {}
    rename: dict[str, str] = {}
    for key, spec in copier_yml.items():
        if key.startswith("_"):
            continue
        computed = spec.get("when") is False
        name = f"__{key}" if computed else key  # `__` variables are rendered but never asked
        rename[key] = f"cookiecutter.{name}"
        default = spec.get("default")
        choices = spec.get("choices")
        if isinstance(choices, dict):
            choices = list(choices.values())
        if choices:
            context[name] = [default, *[c for c in choices if c != default]]
        elif isinstance(default, bool):
            context[name] = default
        else:
            context[name] = str(default)
    for name, value in context.items():
        if isinstance(value, str):
            context[name] = translate(value, rename)
    return context, rename


def translate(text: str, rename: dict[str, str]) -> str:
    """Rename the template variables inside Jinja tags, leaving raw blocks and filter names alone."""
    raws: list[str] = []

    def keep_raw(match: re.Match[str]) -> str:
        raws.append(match.group(0))
        return f"\0RAW{len(raws) - 1}\0"

    text = RAW_BLOCK.sub(keep_raw, text)
    names = "|".join(sorted(map(re.escape, rename), key=len, reverse=True))
    variable = re.compile(rf"(?<![\w.|])(\|\s*)?\b({names})\b")

    def in_span(match: re.Match[str]) -> str:
        return variable.sub(lambda m: m.group(0) if m.group(1) else rename[m.group(2)], match.group(0))

    text = JINJA_SPAN.sub(in_span, text)
    return re.sub(r"\0RAW(\d+)\0", lambda m: raws[int(m.group(1))], text)


def convert(source: Path, dest: Path) -> int:
    """Write the cookiecutter template to `dest`; return the number of files it renders."""
    copier_yml = yaml.safe_load((source / "copier.yml").read_text())
    context, rename = questions(copier_yml)
    tree = source / copier_yml.get("_subdirectory", ".")
    if dest.exists():
        shutil.rmtree(dest)
    project = dest / PROJECT_DIR
    verbatim: list[str] = []
    count = 0
    for path in sorted(p for p in tree.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        relative = path.relative_to(tree).as_posix()
        if relative == ANSWERS_FILE:
            target, content = ".cookiecutter-answers.json", "{{ cookiecutter | jsonify }}\n"
        elif relative.endswith(".jinja"):
            # copier's own variables have no cookiecutter twin: the answers file's name is the default one
            text = path.read_text().replace(COPIER_ANSWERS_FILE, ".copier-answers.yml")
            target, content = relative.removesuffix(".jinja"), translate(text, rename)
        else:
            target, content = relative, path.read_text()
            verbatim.append(translate(relative, rename))
        out = project / translate(target, rename)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(content)
        count += 1
    context["_extensions"] = ["generator.jinja_ext.ScaffoldExtension"]
    context["_copy_without_render"] = verbatim
    (dest / "cookiecutter.json").write_text(json.dumps(context, indent=2) + "\n")
    return count


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python benchmarks/to_cookiecutter.py DEST")
    written = convert(SOURCE, Path(sys.argv[1]))
    print(f"wrote {sys.argv[1]} ({written} files)")
