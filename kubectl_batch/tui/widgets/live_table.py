"""A DataTable kept in step with a list of rows, in place.

:meth:`LiveTable.apply` diffs the new rows against what is shown, by uid: new rows are
added, gone rows removed, changed cells updated with ``update_cell`` and the order fixed
with one ``sort``, all inside ``app.batch_update()``; it never clears and re-adds.
:meth:`LiveTable.tick` re-renders only the time-dependent cells of the visible rows.

Its columns are laid out by :func:`kubectl_batch.tui.layout.fit` for the table's width:
every column stays in the DataTable (cells are kept for all of them), a hidden one just
takes no cells on screen, so a resize changes widths, never rows.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from operator import attrgetter, itemgetter
from time import perf_counter
from typing import Any, NamedTuple

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual._segment_tools import line_crop
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.geometry import Region, Size, Spacing
from textual.message import Message
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, Row, RowKey

from kubectl_batch.tui.layout import fit, want
from kubectl_batch.tui.present import Column, TableCell
from kubectl_batch.tui.text import Cell
from kubectl_batch.tui.widgets.fitted_table import HidingTable

#: Removing more rows than this at once rebuilds the table (remove_row is O(n) each).
REBUILD_ABOVE = 500
#: Rendered cells and lines are kept across updates for this many screens of the table
#: (what it shows, what it showed just before a scroll, the recent values of the ticking
#: cells). Fitted to the table's size, not fixed: at a fixed 4,096 cells a table on a
#: churning cluster took about an hour to fill its cache with names and times of Jobs
#: long gone, which a soak read as memory growing ~10 MB an hour (issue 22).
SCREENS_KEPT = 3
#: ... but never fewer than these (a table not yet laid out, a tiny terminal).
KEPT_CELLS_AT_LEAST = 256
KEPT_LINES_AT_LEAST = 32
#: Entries of DataTable's own render caches. Their keys carry DataTable's update counter,
#: which every cell update moves, so on a changing cluster all but the newest entries are
#: stale: at DataTable's sizes (10,000 cells, 1,000 rows and lines) they held ~20 MB per
#: table once full, filling for half an hour. A screen's worth is what they serve.
DATATABLE_CACHE = 256
#: Rows added or changed per frame: a first load of 10,000 Jobs, or their pods listed
#: after them, is put on screen over several frames, so a key pressed meanwhile waits for
#: one batch, not all of them.
ROWS_PER_FRAME = 1000
#: ... and no longer than this per frame (seconds): while the LISTs decode on their
#: thread, 1,000 rows took up to 150 ms of the UI thread's turns at 30,000 Jobs.
FRAME_BUDGET = 0.02


class Kept:
    """A bounded cache of what a table rendered, the least recently used dropped first.

    Unlike Textual's LRUCache, whose ``set`` leaves a key that is there alone, a new value
    replaces the old: the entries here are checked against what they were made from (the
    same cell, the same cells of a row) and made again when that changed. With the old
    value left in place, a row changed once missed on every paint after, for as long as it
    was on screen (its entry, read on each paint, was never the oldest)."""

    __slots__ = ("_entries", "_size")

    def __init__(self, size: int) -> None:
        self._entries: OrderedDict[tuple, Any] = OrderedDict()
        self._size = size

    def get(self, key: tuple) -> Any:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def __setitem__(self, key: tuple, value: Any) -> None:
        entries = self._entries
        entries[key] = value
        entries.move_to_end(key)
        if len(entries) > self._size:
            entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def resize(self, size: int) -> None:
        """Keep at most ``size`` entries from now on, the oldest dropped at once."""
        self._size = size
        entries = self._entries
        while len(entries) > size:
            entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


class PreparedRows(NamedTuple):
    """Rows for :meth:`LiveTable.apply` with what it needs to know of them worked out
    beforehand, where it is cheap to (the refresher thread): at 30,000 rows each walk of
    them costs the UI thread 10-50 ms while the LISTs decode beside it, and a key pressed
    meanwhile waits."""

    rows: Sequence[Any]
    uids: list[str]
    present: frozenset[str]
    #: Cells of the rows that changed, by uid.
    cells: Mapping[str, list[TableCell]]
    #: The length of the longest value of each column sized by its content.
    longest: Mapping[str, int]


def prepare_rows(
    columns: Sequence[Column],
    rows: Sequence[Any],
    now: datetime,
    changed: Sequence[Any] = (),
    cells: Mapping[str, list[TableCell]] | None = None,
) -> PreparedRows:
    """``rows`` to show, the cells of ``changed`` among them rendered now (or ``cells``)."""
    uids = list(map(attrgetter("uid"), rows))
    longest = {}
    for column in columns:
        if column.sized_by:
            longest[column.key] = max(map(len, map(attrgetter(column.sized_by), rows)), default=0)
    if cells is None:
        cells = {row.uid: [c.render(row, now) for c in columns] for row in changed}
    return PreparedRows(rows, uids, frozenset(uids), cells, longest)


def _same(kept: tuple, values: tuple) -> bool:
    """The same objects, in the same places (a row's cells are replaced, never changed)."""
    return len(kept) == len(values) and all(a is b for a, b in zip(kept, values, strict=True))


class _Paint(NamedTuple):
    """What every line of one paint of a table shares."""

    style: Style
    width: int
    columns: tuple[tuple[ColumnKey, int], ...]  # (key, rendered width), in order
    cursor_row: int
    hover_row: int
    flags: tuple  # zebra stripes, fixed rows, show cursor, show hover, pseudo-classes
    values: Callable[[Mapping[ColumnKey, Any]], tuple]  # a row's cells, in column order


class LiveTable(HidingTable):
    """Rows keyed by uid, cells from :class:`Column` renderers, columns laid out for the
    table's width (``wide``: all of them, scrolled sideways)."""

    class SortRequested(Message):
        def __init__(self, table: LiveTable, column: str) -> None:
            super().__init__()
            self.table, self.column = table, column

        @property
        def control(self) -> LiveTable:
            return self.table

    def __init__(self, columns: Sequence[Column] = (), **kwargs: Any) -> None:
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", False)
        self._rendered = Kept(KEPT_CELLS_AT_LEAST)  # (value, rendered lines)
        self._row_lines = Kept(KEPT_LINES_AT_LEAST)  # (cells, the row's line in segments)
        self._lines = Kept(KEPT_LINES_AT_LEAST)  # (the row's line, its Strip)
        self._fixed = False  # until our columns are added (DataTable's __init__ reads it)
        self._paint: _Paint | None = None  # while render_lines paints
        super().__init__(**kwargs)
        self._cell_render_cache = LRUCache(DATATABLE_CACHE)
        self._row_render_cache = LRUCache(DATATABLE_CACHE)
        self._row_renderable_cache = LRUCache(DATATABLE_CACHE)
        self._line_cache = LRUCache(DATATABLE_CACHE)
        self._columns: tuple[Column, ...] = tuple(columns)
        self._live = tuple(c for c in self._columns if c.live)
        self._rows: dict[str, Any] = {}
        self._cells: dict[str, list[TableCell]] = {}
        self._order: list[str] = []
        #: The model being put on screen, and when (its rows may take several frames).
        self._pending: tuple[PreparedRows, datetime] | None = None
        self._continuing = False
        #: Where the pending model's next frame starts (see _apply_from).
        self._resume_at = 0
        self.sort_column: str | None = None
        self.sort_reverse = False
        self._wide = False
        #: Length of the longest value of each column sized by its content.
        self._longest: dict[str, int] = {}
        self._widths: tuple[int, ...] = ()

    def on_mount(self) -> None:
        self._add_columns()

    # -- structure ----------------------------------------------------------------------
    def _add_columns(self) -> None:
        for c in self._columns:
            self.add_hideable_column(self._label(c), c.key, c.fit.preferred)
        self._fixed = not any(c.auto_width for c in self.columns.values())
        self._widths = ()
        self.fit_columns()

    def _label(self, column: Column) -> Text:
        label = Text(column.label, end="", no_wrap=True, overflow="ellipsis")
        if column.key == self.sort_column:
            label.append(" ▼" if self.sort_reverse else " ▲", "bold")
        return label

    # -- layout -------------------------------------------------------------------------
    @property
    def wide(self) -> bool:
        return self._wide

    @wide.setter
    def wide(self, value: bool) -> None:
        self._wide = value
        self.fit_columns()

    @property
    def visible_keys(self) -> list[str]:
        """The keys of the columns on screen, in order."""
        return [c.key for c, w in zip(self._columns, self._widths, strict=False) if w > 0]

    def fit_columns(self) -> None:
        """Lay the columns out for the table's width (once per resize, sort, scope or
        longest-name change; never per row)."""
        available = self.size.width - self.styles.scrollbar_size_vertical
        if available <= 0 or not self.columns:
            return
        wants = [
            want(
                c.fit,
                self._label(c).cell_len,
                self._longest.get(c.key, 0) if c.sized_by else None,
            )
            for c in self._columns
        ]
        widths = tuple(fit(wants, available, 2 * self.cell_padding, self._wide))
        if widths == self._widths:
            return
        self._widths = widths
        self.set_widths(widths)
        self._set_virtual_size()
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self.fit_columns()
        self._fit_kept()

    def _fit_kept(self) -> None:
        """Size the render caches to SCREENS_KEPT screens of this table."""
        lines = SCREENS_KEPT * max(1, self.size.height)
        self._row_lines.resize(max(KEPT_LINES_AT_LEAST, lines))
        self._lines.resize(max(KEPT_LINES_AT_LEAST, lines))
        self._rendered.resize(max(KEPT_CELLS_AT_LEAST, lines * max(1, len(self._columns))))

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Change the columns (a scope change, not a live update): rebuilds the table."""
        self._columns = tuple(columns)
        self._live = tuple(c for c in self._columns if c.live)
        self.clear(columns=True)
        self._pending = None
        self._rows.clear()
        self._cells.clear()
        self._order = []
        self._longest.clear()
        self._fit_kept()
        self._add_columns()

    def show_sort(self, column: str | None, reverse: bool) -> None:
        self.sort_column, self.sort_reverse = column, reverse
        for c in self._columns:
            col = self.columns.get(ColumnKey(c.key))
            if col is not None:
                col.label = self._label(c)
        self._widths = ()  # the sorted column's label is wider by its arrow
        self.fit_columns()
        self.refresh()

    @property
    def columns_spec(self) -> tuple[Column, ...]:
        return self._columns

    # -- reads ----------------------------------------------------------------------------
    @property
    def rows_by_uid(self) -> dict[str, Any]:
        return self._rows

    @property
    def order(self) -> list[str]:
        return list(self._order)

    @property
    def selected_uid(self) -> str | None:
        if not self._order or self.cursor_row < 0:
            return None
        try:
            key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key
        except Exception:  # noqa: BLE001 - no row under the cursor
            return None
        return key.value

    @property
    def selected(self) -> Any | None:
        uid = self.selected_uid
        return self._rows.get(uid) if uid is not None else None

    def select_uid(self, uid: str) -> None:
        if uid in self._rows:
            self.move_cursor(row=self.get_row_index(uid), animate=False)

    # -- updates --------------------------------------------------------------------------
    # (Not `_render`: that is Widget's own hook, called without arguments.)
    def _row_cells(self, row: Any, now: datetime) -> list[TableCell]:
        return [c.render(row, now) for c in self._columns]

    def apply(
        self,
        rows: Sequence[Any] | PreparedRows,
        now: datetime,
        cells: Mapping[str, list[TableCell]] | None = None,
    ) -> None:
        """Show ``rows`` (in this order), changing only what differs.

        ``rows`` may come prepared off the UI thread, with the cells of those that changed
        (:func:`prepare_rows`); ``cells`` may hold rows' cells rendered off the UI thread
        too. Rows are added or changed for at most :data:`FRAME_BUDGET` (and
        :data:`ROWS_PER_FRAME` rows) per frame; the rest follow after the next refresh, so
        a first load of 30,000 Jobs never freezes the screen.
        """
        if not isinstance(rows, PreparedRows):
            rows = prepare_rows(self._columns, rows, now, cells=cells or {})
        if self._continuing and self._pending is not None and self._pending[0].cells:
            # Rows still to add keep the cells rendered for them off the UI thread: the
            # next model renders only the rows that changed since.
            rows = rows._replace(cells={**self._pending[0].cells, **rows.cells})
        self._pending = (rows, now)
        selected = self.selected_uid
        present = rows.present
        gone = [uid for uid in self._rows if uid not in present]
        with self.app.batch_update():
            if len(gone) > REBUILD_ABOVE:
                self.clear()
                self._rows.clear()
                self._cells.clear()
                self._order = []
            else:
                for uid in gone:
                    self.remove_row(uid)
                    del self._rows[uid]
                    del self._cells[uid]
                if gone:
                    self._order = [u for u in self._order if u in present]
            if rows.longest != self._longest:
                self._longest = dict(rows.longest)
                self.fit_columns()
            self._apply_from(0, selected)

    def _apply_from(self, start: int, selected: str | None) -> None:
        """Add or change the pending model's rows from ``start`` on, for one frame; the
        rows before ``start`` are already as the model has them (a frame before did them),
        so a load of 30,000 rows over many frames walks each row once, not once a frame."""
        assert self._pending is not None
        prepared, now = self._pending
        rows, cells = prepared.rows, prepared.cells
        ends = perf_counter() + FRAME_BUDGET
        done = 0
        adding: list[tuple[str, list[TableCell]]] = []
        repaint: list[str] = []
        index = start
        for index in range(start, len(rows)):
            row = rows[index]
            old = self._rows.get(row.uid)
            if old is row:
                continue
            if done >= ROWS_PER_FRAME or (done and perf_counter() > ends):
                break
            new = list(cells[row.uid]) if cells and row.uid in cells else None
            if old is None:
                new = new or self._row_cells(row, now)
                adding.append((row.uid, new))
                self._cells[row.uid] = new
                self._order.append(row.uid)
            elif self._update(row, new or self._row_cells(row, now)):
                repaint.append(row.uid)
            self._rows[row.uid] = row
            done += 1
        else:
            index = len(rows)
        self._add_rows(adding)
        self._refresh_uids(repaint)
        if index < len(rows):
            self._resume_at = index
            if not self._continuing:
                self._continuing = True
                self.call_after_refresh(self._continue)
            return
        wanted = prepared.uids
        if wanted != self._order:
            first = self._columns[0].key
            position = {id(self._cells[uid][0]): i for i, uid in enumerate(wanted)}
            self.sort(first, key=lambda cell: position[id(cell)])
            self._order = list(wanted)
        if selected is not None and selected in self._rows:
            at = self.get_row_index(selected)
            if at != self.cursor_row:
                self.move_cursor(row=at, animate=False, scroll=False)

    def _add_rows(self, rows: list[tuple[str, list[TableCell]]]) -> None:
        """DataTable.add_row for many rows of one line, with its bookkeeping once: per
        row it listed the columns twice, clamped the cursor and checked for idle, most of
        the time a first load of 10,000 Jobs spent adding rows."""
        if not self._fixed_layout():
            for uid, cells in rows:
                self.add_row(*cells, key=uid)
            return
        if not rows:
            return
        keys = [c.key for c in self.ordered_columns]
        first = self.row_count
        for index, (uid, cells) in enumerate(rows, first):
            row_key = RowKey(uid)
            self._row_locations[row_key] = index
            self._data[row_key] = dict(zip(keys, cells, strict=True))
            self.rows[row_key] = Row(row_key, 1)
            self._new_rows.add(row_key)
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate
        if first == 0 and keys and self.show_cursor and self.cursor_type != "none":
            self._highlight_cursor()
        self._update_count += len(rows)
        self.check_idle()

    def _continue(self) -> None:
        self._continuing = False
        if self._pending is not None:
            with self.app.batch_update():
                self._apply_from(self._resume_at, self.selected_uid)

    @property
    def complete(self) -> bool:
        """Every row of the last :meth:`apply` is shown."""
        return not self._continuing

    def _update(self, row: Any, cells: list[TableCell]) -> bool:
        """Put the row's changed cells in; whether any changed (the caller repaints)."""
        old = self._cells[row.uid]
        changed = False
        for i, (column, cell) in enumerate(zip(self._columns, cells, strict=True)):
            if cell != old[i]:
                old[i] = cell  # the first cell's identity orders rows: keep them in step
                self._set_cell(row.uid, column.key, cell)
                changed = True
        return changed

    def _set_cell(self, uid: str, column: str, cell: TableCell) -> None:
        """DataTable.update_cell without its repaint of the whole table (the caller
        repaints the row: see :meth:`_refresh_uid`)."""
        self._data[RowKey(uid)][ColumnKey(column)] = cell
        self._update_count += 1

    def _refresh_uids(self, uids: Iterable[str]) -> None:
        """Repaint these rows (one refresh: each costs Textual a walk of the widget's
        geometry, and a tick changes every visible row)."""
        locations = self._row_locations
        indexes = [i for i in (locations.get(RowKey(uid)) for uid in uids) if i is not None]
        if not indexes:
            return
        if not self._fixed_layout():
            for index in indexes:
                self.refresh_row(index)
            return
        # DataTable.refresh_row for rows of one line, in the widget's coordinates: only
        # the rows in the window.
        size = self.size
        top = self._header_lines - int(self.scroll_y)
        ys = [top + i for i in indexes if 0 <= top + i < size.height]
        if ys:
            self.refresh(*(Region(0, y, size.width, 1) for y in ys))

    # -- rows of one line -----------------------------------------------------------------
    # DataTable finds a row's place by summing the heights of the rows above it, from lists
    # of every row it rebuilds after each cell update (their caches are keyed by its update
    # counter): a ticking age or a new status cost a walk of the whole table per changed
    # row, 10,000 rows at a time. Our rows are one line each (see _fixed_layout), so a
    # row's place is its index.
    @property
    def _header_lines(self) -> int:
        """Lines above the first row."""
        return self.header_height if self.show_header else 0

    def _get_row_region(self, row_index: int) -> Region:
        if not self._fixed_layout():
            return super()._get_row_region(row_index)
        if not self.is_valid_row_index(row_index):
            return Region(0, 0, 0, 0)
        y = row_index + self._header_lines
        return Region(0, y, max(self.size.width, self.virtual_size.width), 1)

    def _get_offsets(self, y: int) -> tuple[RowKey, int]:
        if not self._fixed_layout():
            return super()._get_offsets(y)
        if self.show_header:
            if y < self.header_height:
                return self._header_row_key, y
            y -= self.header_height
        row_key = self._row_locations.get_key(y) if 0 <= y < self.row_count else None
        if row_key is None:
            raise LookupError(f"no row at line {y}")
        return row_key, 0

    def _get_fixed_offset(self) -> Spacing:
        if not self._fixed_layout():
            return super()._get_fixed_offset()
        # DataTable sums the heights of the fixed rows from its list of every row, which
        # it rebuilds after each added row or changed cell: a cursor key pressed while
        # rows arrive cost a walk of the whole table.
        top = self._header_lines + self.fixed_rows
        left = (
            sum(c.get_render_width(self) for c in self.ordered_columns[: self.fixed_columns])
            + self._row_label_column_width
        )
        return Spacing(top, 0, 0, left)

    @property
    def _total_row_height(self) -> int:
        return self.row_count if self._fixed_layout() else super()._total_row_height

    def visible_uids(self) -> list[str]:
        if not self._order:
            return []
        top = int(self.scroll_y)
        height = max(0, self.scrollable_content_region.height - self.header_height)
        row_at = self._row_locations.get_key
        out: list[str] = []
        for index in range(top, min(self.row_count, top + height + 1)):
            key = row_at(index)
            uid = key.value if key is not None else None
            if uid is None:  # (never: rows are keyed by uid, placed from 0 to row_count - 1)
                break
            out.append(uid)
        return out

    def tick(self, now: datetime) -> None:
        """Re-render the time-dependent cells of the rows on screen."""
        if not self._live or not self._rows:
            return
        positions = {c.key: i for i, c in enumerate(self._columns)}
        changed: list[str] = []
        for uid in self.visible_uids():
            row = self._rows.get(uid)
            if row is None:
                continue
            cells = self._cells[uid]
            moved = False
            for column in self._live:
                i = positions[column.key]
                cell = column.render(row, now)
                if cell != cells[i]:
                    cells[i] = cell
                    self._set_cell(uid, column.key, cell)
                    moved = True
            if moved:
                changed.append(uid)
        self._refresh_uids(changed)

    # -- measuring ------------------------------------------------------------------------
    # DataTable measures every new cell for its column's content width, and when an updated
    # cell is narrower than the widest, it measures the whole column again: at 10,000 rows
    # a status change cost a full column walk. Our widths come from the layout (fit_columns)
    # and our rows are one line (apply adds them so): content widths are never used, so skip
    # the measuring.
    # Both are DataTable's internal hooks; a table with an auto-width column keeps them.
    def _fixed_layout(self) -> bool:
        # Rows are added one line high (_add_rows, or add_row's default: no auto height);
        # the columns are ours (_add_columns), with widths.
        return self._fixed

    def _update_column_widths(self, updated_cells: Any) -> None:
        if not self._fixed_layout():
            super()._update_column_widths(updated_cells)

    def _update_dimensions(self, new_rows: Any) -> None:
        if not self._fixed_layout():
            super()._update_dimensions(new_rows)
            return
        self._set_virtual_size()

    def _set_virtual_size(self) -> None:
        width = sum(c.get_render_width(self) for c in self.columns.values())
        header = self._header_lines
        self.virtual_size = Size(
            width + self._row_label_column_width, self._total_row_height + header
        )

    # -- rendering ----------------------------------------------------------------------
    # DataTable's rendered cells are stale whenever one cell changes (its cache keys carry
    # an update counter that update_cell moves), so one new status re-rendered every
    # visible cell through rich: most of the CPU of a table on a changing cluster. Our
    # cells are immutable values replaced on change, so a rendered cell stays good while
    # the same value sits at the same place with the same style and width.
    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> Any:
        if column_index < 0 or not self._fixed_layout():
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        column_key = self._column_locations.get_key(column_index)
        row_key = self._header_row_key if row_index < 0 else self._row_locations.get_key(row_index)
        if column_key is None or row_key is None:  # no such cell: DataTable's own way
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        value = self.columns[column_key].label if row_index < 0 else self._data[row_key][column_key]
        state = self._cell_state(base_style, cursor, hover, row_index, column_index)
        return self._kept_cell(value, row_key, column_key, row_index, column_index, width, state)

    def _cell_state(
        self, style: Style, cursor: bool, hover: bool, row_index: int, column_index: int
    ) -> tuple:
        """What a cell's rendering depends on besides its value, place and width."""
        fixed = row_index < self.fixed_rows or column_index < self.fixed_columns
        return (style, cursor, hover, self._show_hover_cursor, self._pseudo_class_state, fixed)

    def _kept_cell(
        self,
        value: Any,
        row_key: RowKey,
        column_key: ColumnKey,
        row_index: int,
        column_index: int,
        width: int,
        state: tuple,
    ) -> Any:
        # A one-style Cell renders the same wherever it is: kept by its text, so an age or
        # a duration that ticks to a value some row showed before is not rendered again.
        # (The row number in its segments' meta is then another row's: see _pointer_row.)
        by_value = type(value) is Cell
        key = ((value.text, value.style) if by_value else row_key, column_key, width, state)
        kept = self._rendered.get(key)
        if kept is not None and (by_value or kept[0] is value):
            return kept[1]
        style, cursor, hover = state[:3]
        lines = super()._render_cell(row_index, column_index, style, width, cursor, hover)
        self._rendered[key] = (value, lines)
        return lines

    # The same for the lines: DataTable renders every line of the table again after any
    # update (its row and line caches carry the update counter too), which on a changing
    # cluster was most of the app's CPU once the cells were kept. A row's line is what its
    # cells are (the same objects: _set_cell replaces a changed one), at the same widths
    # and style, with the cursor and the hover on it or not; its place in the table only
    # matters to the zebra stripes and the fixed rows (the row number the mouse reads is
    # taken from the pointer instead: see _pointer_row).
    def _keeps_lines(self) -> bool:
        """Rows of one line, a row cursor, no fixed columns, no row labels: the tables of
        this app."""
        return (
            self.cursor_type == "row"
            and not self.fixed_columns
            and not self._labelled_row_exists
            and self._fixed_layout()
        )

    def _paint_now(self) -> _Paint:
        columns = tuple((c.key, c.get_render_width(self)) for c in self.ordered_columns)
        keys = [key for key, _ in columns]
        return _Paint(
            self.rich_style,
            self.size.width,
            columns,
            self.cursor_coordinate.row,
            self.hover_coordinate.row,
            (
                self.zebra_stripes,
                self.fixed_rows,
                self.show_cursor,
                self._show_hover_cursor,
                self._pseudo_class_state,
            ),
            itemgetter(*keys) if len(keys) > 1 else lambda data: tuple(map(data.get, keys)),
        )

    def render_lines(self, crop: Region) -> list[Strip]:
        # What every line of one paint shares (the table's style, its width, the columns'
        # widths, where the cursor is) is worked out once for the paint: per line, reading
        # them through Textual's reactive descriptors cost as much as a kept line.
        self._pseudo_class_state = self.get_pseudo_class_state()  # (as DataTable's)
        self._paint = self._paint_now() if self._keeps_lines() else None
        try:
            return super().render_lines(crop)
        finally:
            self._paint = None

    def render_line(self, y: int) -> Strip:
        paint = self._paint
        if paint is None:
            return super().render_line(y)
        # As DataTable.render_line, for rows of one line.
        scroll_x, scroll_y = self.scroll_offset
        if y >= paint.flags[1] + self._header_lines:
            y += scroll_y
        return self._render_line(y, scroll_x, scroll_x + paint.width, paint.style)

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        paint = self._paint
        if paint is None:
            if not self._keeps_lines():
                return super()._render_line(y, x1, x2, base_style)
            paint = self._paint_now()
        width = paint.width
        try:
            row_key, line_no = self._get_offsets(y)
        except LookupError:
            return Strip.blank(width, base_style)
        pair = self._kept_row_line(row_key, line_no, base_style, paint)
        key = (row_key, line_no, x1, x2, width, base_style)
        kept = self._lines.get(key)
        if kept is not None and kept[0] is pair:
            return kept[1]
        # As DataTable._render_line puts a row's line together (no fixed columns here).
        _, scrollable = pair
        segments: list[Segment] = [s for cell in scrollable for s in cell]
        strip = Strip(line_crop(segments, x1, x2, width)).adjust_cell_length(width, base_style)
        strip = strip.simplify()
        self._lines[key] = (pair, strip)
        return strip

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> Any:
        if not self._keeps_lines():
            return super()._render_line_in_row(
                row_key, line_no, base_style, cursor_location, hover_location
            )
        paint = self._paint_now()._replace(
            cursor_row=cursor_location.row, hover_row=hover_location.row
        )
        return self._kept_row_line(row_key, line_no, base_style, paint)

    def _kept_row_line(
        self, row_key: RowKey, line_no: int, base_style: Style, paint: _Paint
    ) -> tuple[list, list]:
        if row_key is self._header_row_key:
            index, values = -1, tuple(c.label for c in self.ordered_columns)
        else:
            found = self._row_locations.get(row_key)
            index = -2 if found is None else found
            data = self._data.get(row_key)
            values = paint.values(data) if data is not None else ()
        zebra, fixed_rows = paint.flags[:2]
        key = (
            row_key,
            line_no,
            base_style,
            index == paint.cursor_row,
            index == paint.hover_row,
            index % 2 if zebra else 0,
            index < fixed_rows,
            paint.flags,
            paint.columns,
            paint.width,
        )
        kept = self._row_lines.get(key)
        if kept is not None and _same(kept[0], values):
            return kept[1]
        if index < 0 or line_no:  # the header, or no such row: DataTable's own way
            pair = super()._render_line_in_row(
                row_key,
                line_no,
                base_style,
                Coordinate(paint.cursor_row, 0),
                Coordinate(paint.hover_row, 0),
            )
        else:
            # The row's line before its cells changed (the same key: the same place, style
            # and widths) lends the cells that did not change: on a tick, all but an age.
            before = kept if kept is not None and len(kept[0]) == len(values) else None
            pair = self._row_line(row_key, index, base_style, key[3], key[4], paint, before)
        self._row_lines[key] = (values, pair)
        return pair

    def _row_line(
        self,
        row_key: RowKey,
        index: int,
        base_style: Style,
        cursor: bool,
        hover: bool,
        paint: _Paint,
        before: tuple[tuple, tuple[list, list]] | None = None,
    ) -> tuple[list, list]:
        """A row's line as DataTable._render_line_in_row makes it (a row cursor, no fixed
        columns, no row labels, one line a row), with the cells' state worked out once
        for the row instead of once a cell: this is what a ticking age costs. ``before``:
        (cells, line) of this row in the same place, style and widths; its rendered cells
        are taken for the cells that are still the same objects."""
        row_style = self._get_row_style(index, base_style)
        data = self._data[row_key]
        cells: list = []
        used = 0  # (no row labels)
        # The same for every cell of the row (no fixed columns here).
        state = self._cell_state(row_style, cursor, hover, index, 0)
        old_values, old_cells = (before[0], before[1][1]) if before is not None else ((), [])
        for column_index, (column_key, width) in enumerate(paint.columns):
            used += width
            value = data[column_key]
            if column_index < len(old_values) and old_values[column_index] is value:
                cells.append(old_cells[column_index])
                continue
            cells.append(
                self._kept_cell(value, row_key, column_key, index, column_index, width, state)[0]
            )
        # As DataTable extends a row's style to the table's width.
        show_cursor, show_hover = paint.flags[2:4]
        extend, _ = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, show_cursor, show_hover, False, False
        )
        extend = (
            row_style + extend + Style.from_meta({"row": index, "column": 0, "out_of_bounds": True})
        )
        cells.append([Segment(" " * max(0, paint.width - used), extend)])
        return [], cells

    def _pointer_row(self, event: events.MouseEvent) -> None:
        """Put the row under the pointer into the event's style: the kept lines carry the
        row number of when they were rendered, and rows move."""
        offset = event.get_content_offset(self)
        meta = event.style.meta
        if offset is None or "row" not in meta:
            return
        y = offset.y
        if not (self.show_header and y < self.header_height):
            y += int(self.scroll_y)
        try:
            row_key, _ = self._get_offsets(y)
        except LookupError:
            return
        index = -1 if row_key is self._header_row_key else self._row_locations.get(row_key)
        if index is not None and index != meta["row"]:
            event.style = event.style + Style.from_meta({**meta, "row": index})

    async def _on_click(self, event: events.Click) -> None:
        self._pointer_row(event)
        await super()._on_click(event)

    def _on_mouse_move(self, event: events.MouseMove) -> None:
        self._pointer_row(event)
        super()._on_mouse_move(event)

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._drop_kept()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drop_kept()  # the theme or the CSS changed

    def _drop_kept(self) -> None:
        self._rendered.clear()
        self._row_lines.clear()
        self._lines.clear()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.post_message(self.SortRequested(self, str(event.column_key.value)))
