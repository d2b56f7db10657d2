"""Text a template provides, made safe to print: escape sequences shown, never executed by the terminal.

A template's `_message_after_copy`, its validators' messages, the names of the files it renders and
any error quoting them reach the user's terminal. Raw, an escape sequence there can write to the
clipboard (OSC 52), disguise a link (OSC 8), retitle the window, ring the bell or rewrite what was
printed before. Every print site passes such text through `safe`: control characters, escape
sequences and bidirectional overrides are replaced by their visible `\\x..`/`\\u....` spellings.
"""

import re

KEPT = "\n\t"
"""Line breaks and tabs are layout, not control: kept (one-line messages fold them separately)."""

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0 controls but tab and newline (ESC, BEL, CR, ...), DEL, C1 controls (CSI, OSC as one byte), bidi controls."""

MAX_MESSAGE = 2000
"""Characters of one error line; past them it is cut in the middle (a refusal stays a line, not a page)."""


def safe(text: str) -> str:
    """Return `text` with every control character and bidi override replaced by its visible escape, e.g. `\\x1b`."""
    return _UNSAFE.sub(_spelt, text)


def safe_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """Return `text` as one safe line: line breaks folded to spaces, cut in the middle past `limit` characters."""
    line = " ".join(text.split()) if "\n" in text or "\r" in text else text
    line = safe(line)
    if len(line) <= limit:
        return line
    half = limit // 2
    return f"{line[:half]} ... {line[-half:]} ({len(line)} characters, cut)"


def _spelt(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
