"""The org's fixed answers as policy over existing repos: what `check` reports and `update` rolls out.

`scaffold new` never asks a `[fixed]` answer. For repos that exist, the fixed value wins over the
recorded one at every update (so a changed `[fixed]` value reaches every repo), `--data` that
contradicts it is refused, and `check` names each recorded answer that differs from it.
"""

from collections.abc import Mapping
from typing import Any

from generator.config import OrgAnswers


def fixed_violations(recorded: Mapping[str, Any], rendered: Mapping[str, Any], org: OrgAnswers) -> list[str]:
    """Return one line per fixed answer the repo's recorded answers contradict.

    `rendered` are the answers the newest render used, with the fixed ones applied; keys the template
    does not ask are not there, so they are never reported.
    """
    lines = []
    for key in org.fixed:
        if key in rendered and key in recorded and recorded[key] != rendered[key]:
            lines.append(f"{key} is {recorded[key]!r}, fixed to {rendered[key]!r} by {org.origin or 'the org config'}")
    return lines


def fixed_only(org: OrgAnswers | None) -> OrgAnswers:
    """Return `org` with its fixed answers only: an existing repo's other answers are its own."""
    return OrgAnswers(fixed=dict(org.fixed), origin=org.origin) if org is not None else OrgAnswers()
