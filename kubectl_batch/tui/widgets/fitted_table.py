"""A plain DataTable (a dialog's short list) whose columns fit its width, by the same
rules as the live tables' (:func:`kubectl_batch.tui.layout.fit`); rows may wrap."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual import events
from textual.widgets import DataTable

from kubectl_batch.tui.layout import Want, fit


class FittedTable(DataTable):
    """Columns added with :meth:`add_fitted_column` are laid out again on every resize."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._wants: list[Want] = []

    def add_fitted_column(self, label: str, key: str, want: Want) -> None:
        self._wants.append(want)
        self.add_column(label, key=key, width=want.preferred)
        self.fit_columns()

    @property
    def wants(self) -> Sequence[Want]:
        return tuple(self._wants)

    def fit_columns(self) -> None:
        available = self.size.width - self.styles.scrollbar_size_vertical
        if available <= 0:
            return
        widths = fit(self._wants, available, 2 * self.cell_padding)
        for column, width in zip(self.ordered_columns, widths, strict=True):
            column.width = max(width, 1)
        # DataTable has no public way to change a column's width: drop what it rendered
        # at the old widths and measure the rows (a few, with auto height) again.
        self._clear_caches()
        self._update_count += 1
        self._require_update_dimensions = True
        for row in self.rows.values():
            if row.auto_height:
                row.height = 0  # measured again at the new widths
        self._new_rows.update(self.rows)
        self.refresh(layout=True)

    def on_resize(self, event: events.Resize) -> None:
        self.fit_columns()
