"""A render's output, counted while copier renders it: past the size or file limit, refused before it reaches the disk.

The guard (trust.guard.check_rendered) measures a render once it is finished, which is too late for a
template that writes a file of gigabytes or a million files: the disk would be full first. So copier's
render is held to the limits as it goes. Each file's text is counted as Jinja produces it (a loop
that would write gigabytes stops at the limit, in bounded memory), and each file, folder and link is
counted before copier writes it. What was written before the refusal never exceeds the limits.
"""

from collections.abc import Iterable
from pathlib import PurePosixPath

from generator.errors import TemplateRefusedError
from generator.trust.guard import shown_path
from generator.trust.limits import Limits, size


class OutputBudget:
    """What one render may still write: bytes, and files, folders and links (the limits' `bytes` and `files`)."""

    def __init__(self, template: str, limits: Limits) -> None:
        self.template, self.limits = template, limits
        self.written = 0
        self.entries: set[PurePosixPath] = set()

    def admit(self, path: str, size_in_bytes: int) -> None:
        """Count the file, folder or link `path` (relative to the render) and its size, before it is written.

        Folders copier creates on the way to it count too. Raise TemplateRefusedError past a limit.
        """
        entry = PurePosixPath(path)
        new = [p for p in (entry, *entry.parents) if p.parts and p not in self.entries]
        if len(self.entries) + len(new) > self.limits.files:
            raise TemplateRefusedError(
                f"template {self.template} renders more than {self.limits.files} files, folders and links "
                f"(at {shown_path(path)}); accepted: fewer, or a higher SCAFFOLD_LIMIT_FILES"
            )
        if self.written + size_in_bytes > self.limits.bytes:
            raise self._too_large()
        self.entries.update(new)
        self.written += size_in_bytes

    def concat(self, chunks: Iterable[str]) -> str:
        """Join the pieces of text Jinja renders, refusing once they are longer than what may still be written.

        A character is at least one byte once encoded, so counting characters never lets more through.
        """
        room = self.limits.bytes - self.written
        parts: list[str] = []
        length = 0
        for chunk in chunks:
            length += len(chunk)
            if length > room:
                raise self._too_large()  # the file is not known here: Jinja renders its text before copier names it
            parts.append(chunk)
        return "".join(parts)

    def _too_large(self) -> TemplateRefusedError:
        return TemplateRefusedError(
            f"template {self.template} renders more than {size(self.limits.bytes)}; "
            "accepted: a smaller render, or a higher SCAFFOLD_LIMIT_BYTES"
        )
