"""The per-index grid of an Indexed Job: one cell per index, coloured by its state.

When the Job has more indexes than cells fit (100,000 completions), each cell stands for
a bucket of consecutive indexes and shows the most urgent state among them (failed before
backing off before running ... before succeeded), so one failure in 100,000 stays
visible. Buckets are filled from the run-length encoded states of
:class:`~kubectl_batch.domain.index_progress.IndexProgress`, never index by index.
Arrow keys move the cursor; the selected index (or bucket) is posted as :class:`IndexGrid.Selected`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from kubectl_batch.domain.index_progress import IndexProgress, IndexState
from kubectl_batch.domain.indexes import IndexSet
from kubectl_batch.tui.present import INDEX_STYLE

#: Most urgent first: what a bucket shows when its indexes differ.
URGENCY = (
    IndexState.FAILED,
    IndexState.BACKING_OFF,
    IndexState.INCOMPLETE,
    IndexState.RUNNING,
    IndexState.PENDING,
    IndexState.TERMINATING,
    IndexState.WAITING,
    IndexState.SUCCEEDED,
    IndexState.NOT_STARTED,
)
CELL = "■"
MAX_ROWS = 12


@dataclass(frozen=True)
class Layout:
    completions: int
    per_row: int
    cells: int
    #: Indexes per cell (1: the exact grid).
    size: int

    def bounds(self, cell: int) -> tuple[int, int]:
        first = cell * self.size
        return first, min(self.completions, first + self.size) - 1


def layout(completions: int, width: int, max_rows: int = MAX_ROWS) -> Layout:
    per_row = max(1, width)
    capacity = per_row * max_rows
    if completions <= capacity:
        return Layout(completions, per_row, completions, 1)
    size = math.ceil(completions / capacity)
    return Layout(completions, per_row, math.ceil(completions / size), size)


def bucket_states(progress: IndexProgress, lay: Layout) -> list[IndexState]:
    """The state each cell shows (exact, or the most urgent of its bucket)."""
    cells = [IndexState.NOT_STARTED] * lay.cells
    for state in reversed(URGENCY):  # more urgent states overwrite less urgent ones
        if state is IndexState.NOT_STARTED:
            continue
        for first, last in progress.states[state].iter_ranges():
            for cell in range(first // lay.size, last // lay.size + 1):
                cells[cell] = state
    return cells


class IndexGrid(Widget, can_focus=True):
    """Cells of an Indexed Job's indexes, with a cursor."""

    BINDINGS = [
        Binding("left", "move(-1)", "Left", show=False),
        Binding("right", "move(1)", "Right", show=False),
        Binding("up", "move_row(-1)", "Up", show=False),
        Binding("down", "move_row(1)", "Down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
    ]

    cursor: reactive[int] = reactive(0)

    class Selected(Message):
        """The cursor is on ``index`` (the bucket's most urgent index for a bucket)."""

        def __init__(self, index: int, first: int, last: int, state: IndexState) -> None:
            super().__init__()
            self.index, self.first, self.last, self.state = index, first, last, state

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.progress: IndexProgress | None = None
        self._layout: Layout | None = None
        self._cells: list[IndexState] = []
        #: An index chosen by number (`g`), shown instead of its bucket's most urgent one.
        self._pinned: int | None = None

    # -- data ---------------------------------------------------------------------------
    def set_progress(self, progress: IndexProgress | None) -> None:
        self.progress = progress
        self._relayout()

    def _relayout(self) -> None:
        if self.progress is None or self.size.width <= 0:
            self._layout, self._cells = None, []
        else:
            self._layout = layout(self.progress.completions, self.size.width)
            self._cells = bucket_states(self.progress, self._layout)
            if self.cursor >= len(self._cells):
                self.cursor = max(0, len(self._cells) - 1)
        self.refresh(layout=True)
        self._announce()

    def on_resize(self) -> None:
        self._relayout()

    @property
    def grid_layout(self) -> Layout | None:
        return self._layout

    @property
    def cell_states(self) -> list[IndexState]:
        return list(self._cells)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self.progress is None:
            return 1
        lay = layout(self.progress.completions, width)
        return max(1, math.ceil(lay.cells / lay.per_row))

    # -- cursor ---------------------------------------------------------------------------
    def select_index(self, index: int) -> None:
        if self._layout is not None and 0 <= index < self._layout.completions:
            self._pinned = index
            if self.cursor == index // self._layout.size:
                self._announce()
            self.cursor = index // self._layout.size

    def action_move(self, delta: int) -> None:
        self._pinned = None
        if self._cells:
            self.cursor = max(0, min(len(self._cells) - 1, self.cursor + delta))

    def action_move_row(self, delta: int) -> None:
        if self._layout is not None:
            self.action_move(delta * self._layout.per_row)

    def action_jump(self, cell: int) -> None:
        self._pinned = None
        if self._cells:
            self.cursor = cell % len(self._cells)

    def watch_cursor(self) -> None:
        self.refresh()
        self._announce()

    def selected(self) -> tuple[int, int, int, IndexState] | None:
        """(index, first, last, state) under the cursor."""
        if self._layout is None or self.progress is None or not self._cells:
            return None
        first, last = self._layout.bounds(self.cursor)
        state = self._cells[self.cursor]
        index = first
        if self._pinned is not None and first <= self._pinned <= last:
            index = self._pinned
            state = self.progress.state_of(index)
        elif self._layout.size > 1:
            found = (self.progress.states[state] & IndexSet.span(first, last + 1)).first
            index = found if found is not None else first
        return index, first, last, state

    def _announce(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.post_message(self.Selected(*chosen))

    # -- drawing --------------------------------------------------------------------------
    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="crop", end="")
        lay = self._layout
        if lay is None:
            return Text("no indexes", "dim")
        focused = self.has_focus
        for i, state in enumerate(self._cells):
            if i and i % lay.per_row == 0:
                text.append("\n")
            style = INDEX_STYLE[state]
            if i == self.cursor:
                style += " reverse" if focused else " underline"
            text.append(CELL, style)
        return text

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
