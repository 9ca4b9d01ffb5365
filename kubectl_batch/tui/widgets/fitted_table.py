"""DataTables whose columns the layout (:func:`kubectl_batch.tui.layout.fit`) sizes and
hides: :class:`HidingTable` is the mechanism (shared with the live tables),
:class:`FittedTable` a plain table (a dialog's or a detail screen's short list) laid out
again on every resize; its rows may wrap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.widgets import DataTable
from textual.widgets.data_table import Column as TableColumn

from kubectl_batch.tui.layout import Want, fit


@dataclass
class HideableColumn(TableColumn):
    """A DataTable column the layout can hide: it then renders in no cells at all."""

    hidden: bool = False

    def get_render_width(self, data_table: DataTable[Any]) -> int:
        return 0 if self.hidden else super().get_render_width(data_table)


#: DataTable's own method, without the lru_cache it has in Textual 8 (see HidingTable).
_styles_to_render_cell = getattr(
    DataTable._get_styles_to_render_cell,
    "__wrapped__",
    DataTable._get_styles_to_render_cell,
)


class HidingTable(DataTable):
    """A DataTable whose columns can be given widths, 0 hiding one (its cells are kept)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._cell_styles: dict[tuple[bool, ...], tuple[Style, Style]] = {}
        super().__init__(*args, **kwargs)

    # DataTable keeps these styles in one lru_cache(32) for all tables, keyed by the table:
    # it kept the tables of closed screens alive (a detail screen's, with all its rows)
    # until 32 other calls pushed them out, and it never saw a theme change. Here: per
    # table, at most 2**9 entries (the flags), dropped when the styles change.
    def _get_styles_to_render_cell(self, *flags: bool) -> tuple[Style, Style]:  # type: ignore[override]
        styles = self._cell_styles.get(flags)
        if styles is None:
            styles = self._cell_styles[flags] = _styles_to_render_cell(self, *flags)
        return styles

    # DataTable.notify_style_update clears its cache through this name; ours is cleared
    # below.
    _get_styles_to_render_cell.cache_clear = lambda: None  # type: ignore[attr-defined]

    def notify_style_update(self) -> None:
        self._cell_styles.clear()
        super().notify_style_update()

    def add_hideable_column(self, label: Any, key: str, width: int) -> None:
        column_key = self.add_column(label, width=width, key=key)
        old = self.columns[column_key]
        self.columns[column_key] = HideableColumn(
            column_key, old.label, old.width, old.content_width
        )

    def set_widths(self, widths: Sequence[int]) -> None:
        """Content widths of the columns, in order (0: hidden)."""
        for column, width in zip(self.ordered_columns, widths, strict=True):
            if isinstance(column, HideableColumn):
                column.hidden = width == 0
            column.width = max(width, 1)
        # DataTable has no public way to change a column's width: drop what it rendered
        # at the old widths.
        self._clear_caches()
        self._update_count += 1

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        if width > 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        # A hidden column: as many empty lines as the row has (fresh lists: DataTable pads
        # the cells of a row that grows by extending them), styled: Textual's filters
        # (NO_COLOR's monochrome) read every segment's style.
        key = self._row_locations.get_key(row_index) if row_index >= 0 else None
        row = self.rows.get(key) if key is not None else None
        height = row.height if row is not None else self.header_height
        return [[Segment("", base_style)] for _ in range(max(height, 1))]


class FittedTable(HidingTable):
    """Columns added with :meth:`add_fitted_column` are laid out again on every resize."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._wants: list[Want] = []

    def add_fitted_column(self, label: str, key: str, want: Want) -> None:
        self._wants.append(want)
        self.add_hideable_column(label, key, want.preferred)
        self.fit_columns()

    def fit_columns(self) -> None:
        available = self.size.width - self.styles.scrollbar_size_vertical
        if available <= 0:
            return
        self.set_widths(fit(self._wants, available, 2 * self.cell_padding))
        for row in self.rows.values():
            if row.auto_height:
                row.height = 0  # measured again at the new widths
        self._require_update_dimensions = True
        self._new_rows.update(self.rows)
        self.refresh(layout=True)

    def on_resize(self, event: events.Resize) -> None:
        self.fit_columns()
