"""The JSON document `scaffold check --json` and `scaffold update --json` print, read and validated against the
JSON Schema shipped in the package (generator/schemas/report.schema.json)."""

import json
from typing import Any

from jsonschema import Draft202012Validator

from generator.fleet import REPORT_SCHEMA

_VALIDATOR = Draft202012Validator(json.loads(REPORT_SCHEMA.read_text(encoding="utf-8")))


def report_json(text: str) -> dict[str, Any]:
    """Parse the JSON output of check or update; fail the test unless it matches the schema."""
    data = json.loads(text)
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    assert isinstance(data, dict)
    return data
