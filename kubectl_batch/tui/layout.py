"""Which columns of a table are shown, and how wide, at a given table width.

Pure: widths in terminal cells in, widths out (0: hidden). Tables call :func:`fit` when
their width changes (start, resize), when the longest name they hold changes, and when the
wide toggle flips: never per row.

The rules, in the order of each column's ``priority`` (0 first):

- **Essential** columns are shown whatever the width, shrunk down to their minimum first;
  when even the minimums do not fit, the least important essential columns go (the first
  one always stays, and the table scrolls sideways if it is wider still).
- Every other column is added only where all the columns shown before it (by priority) can
  have their preferred widths and it fits at least at its minimum: a less important column
  never squeezes a more important one, it shrinks itself before it goes, and none is shown
  while a more important one is not.
- Room left over goes by priority, each column up to its preferred width.
- **Wide** (kubectl's ``-o wide``): every column at its preferred width, scrolled sideways.

A column sized by its content (NAME, NAMESPACE) is as wide as its longest text up to a
cap; a cut cell ends with ``…`` (the cells are made with rich's ellipsis overflow).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Fit:
    """How one column may be laid out; widths are of the content, without cell padding."""

    priority: int
    minimum: int
    preferred: int
    essential: bool = False


@dataclass(frozen=True)
class Want:
    """A column's claim at this moment: its fit resolved against label and content."""

    priority: int
    minimum: int
    preferred: int
    essential: bool = False


def want(fit: Fit, label: int, longest: int | None = None) -> Want:
    """``fit`` made concrete: never narrower than its header ``label`` (cells), and for a
    column sized by its content, as wide as its ``longest`` text up to ``fit.preferred``
    (the cap)."""
    preferred = max(fit.preferred, label)
    if longest is not None:
        preferred = max(label, min(longest, fit.preferred))
    minimum = max(label, min(fit.minimum, preferred))
    return Want(fit.priority, minimum, preferred, fit.essential)


def fit(wants: Sequence[Want], available: int, padding: int = 2, wide: bool = False) -> list[int]:
    """Content width of each column (same order as ``wants``), 0 for a hidden column.

    ``available``: the table's width in cells; ``padding``: the cells each shown column
    adds around its content.
    """
    if wide:
        return [w.preferred for w in wants]
    order = sorted(range(len(wants)), key=lambda i: (wants[i].priority, i))
    shown: list[int] = []
    used = 0  # what the shown columns claim: minimums of essential ones, else preferred
    for i in (i for i in order if wants[i].essential):
        need = wants[i].minimum + padding
        if shown and used + need > available:
            break
        shown.append(i)
        used += need
    # The optional columns see the essential ones at their preferred widths.
    claimed = sum(wants[i].preferred + padding for i in shown)
    for i in (i for i in order if not wants[i].essential):
        if claimed + wants[i].minimum + padding > available:
            break  # strictly in priority order: no less important column jumps the queue
        shown.append(i)
        claimed += wants[i].preferred + padding
    widths = [0] * len(wants)
    for i in shown:
        widths[i] = wants[i].minimum
    room = available - sum(widths[i] + padding for i in shown)
    for i in sorted(shown, key=lambda i: (wants[i].priority, i)):
        if room <= 0:
            break
        more = min(room, wants[i].preferred - widths[i])
        widths[i] += more
        room -= more
    return widths
