"""Untrusted text (names, labels, annotations, event messages, log lines) shown literally.

Everything that comes from the cluster goes through :func:`clean` before it reaches a
widget: terminal control sequences are removed (ESC and its sequences, C0 controls except
tab, DEL and C1 controls), and the result is wrapped in :class:`rich.text.Text`, which
Textual never parses as markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text

# ESC-introduced sequences first (CSI ... final byte, OSC ... BEL/ST, two-byte escapes),
# then any remaining C0 control but tab, DEL, and C1 controls (incl. the 8-bit CSI/OSC).
_SEQUENCES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC, ended by BEL or ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]?"  # other escapes (and a lone ESC)
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]*[\x07\x9c]?"  # 8-bit OSC
)
_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def clean(value: object) -> str:
    """``value`` as a single-line-safe string without terminal control sequences.

    Newlines and carriage returns are controls too: a name or a message never moves the
    cursor. (Multi-line text is split into lines by the caller before cleaning.)
    """
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return _CONTROLS.sub("", _SEQUENCES.sub("", text))


def literal(value: object, style: str = "") -> Text:
    """A Text showing ``value`` exactly (cleaned), never interpreted as markup; cut to the
    width it is shown in, it ends with ``…``."""
    return Text(clean(value), style=style, no_wrap=True, overflow="ellipsis", end="")


class Cell:
    """A one-style table cell: about a third of a rich Text's memory (the Jobs table of
    10,000 Jobs holds 100,000 cells) and quicker to make. DataTable renders it through
    ``__rich__``, exactly as :func:`literal` would show the same text."""

    __slots__ = ("text", "style")

    def __init__(self, text: str, style: str = "") -> None:
        self.text, self.style = text, style

    def __rich__(self) -> Text:
        return Text(self.text, style=self.style, no_wrap=True, overflow="ellipsis", end="")

    @property
    def plain(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Cell({self.text!r}, {self.style!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Cell):
            return self.text == other.text and self.style == other.style
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


#: What a table cell holds: a one-style Cell, or a Text for several styles.
CellText = Cell | Text


def cell(value: object, style: str = "") -> Cell:
    """An untrusted value as a table cell, cleaned (see :func:`literal`)."""
    return Cell(clean(value), style)


def cut_words(text: str, width: int) -> str:
    """``text`` in ``width`` cells: whole, or as many of its words as fit, then ``…``; a
    word is never cut in two (just ``…`` when not even its first word fits)."""
    if cell_len(text) <= width:
        return text
    kept = ""
    for word in text.split(" "):
        longer = f"{kept} {word}" if kept else word
        if cell_len(longer) + 1 > width:
            break
        kept = longer
    return kept + "…" if width > 0 else ""


def lines(value: object) -> list[str]:
    """Multi-line untrusted text as cleaned lines."""
    return [clean(line) for line in str(value or "").splitlines()]


def labelled(label: str, value: Text | str, width: int, style: str = "") -> Text:
    """One "label  value" line of a detail header; plain-string values are shown literally."""
    text = Text(f"{label:<{width}}", "bold dim")
    text.append_text(value if isinstance(value, Text) else literal(value, style))
    return text


def wrapped(value: object, style: str = "") -> Text:
    """Like :func:`literal`, but wrapped onto more lines where it is shown, never cut."""
    return Text(clean(value), style=style, end="")


def packed(label: str, items: Sequence[str], width: int, columns: int = 0, style: str = "") -> Text:
    """A "label  item  item" line of a detail header: where it would be wider than
    ``columns`` (0: never), the items, each kept whole, go on to more lines indented under
    the first one (a long item is then cut with ``…``)."""
    rows: list[list[str]] = [[]]
    used, room = 0, columns - width
    for item in items:
        item = clean(item)
        add = cell_len(item) + (2 if rows[-1] else 0)
        if columns > 0 and rows[-1] and used + add > room:
            rows.append([])
            used, add = 0, cell_len(item)
        rows[-1].append(item)
        used += add
    text = labelled(label, "  ".join(rows[0]), width, style)
    for row in rows[1:]:
        text.append("\n" + " " * width)
        text.append_text(literal("  ".join(row), style))
    return text
