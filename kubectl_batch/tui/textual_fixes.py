"""Workarounds for Textual's memory leaks, applied once when the TUI is imported.

Each names its upstream issue; each applies only while Textual still has the leak's shape,
so a Textual that fixes it is left alone. Two more live with the widgets they concern: the
Footer's watcher leak (Textualize/textual#6666) in :mod:`kubectl_batch.tui.widgets.footer`,
DataTable's cell styles cached for all tables by table in
:class:`kubectl_batch.tui.widgets.fitted_table.HidingTable`.

- ``StylesCache.get_inner_outer`` is an instance method under ``lru_cache(1024)``
  (Textualize/textual#6665): its cache keeps every widget's StylesCache, with all the
  widget's rendered lines, for 1,024 calls after the widget is gone. On a changing cluster
  the footer is rebuilt every few seconds (a dozen widgets each time): the objects the
  collector saw grow were mostly these. The result depends on the two colours only, so the
  cache is keyed by them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from textual._styles_cache import StylesCache

#: Entries of the colour cache (as Textual's).
INNER_OUTER_CACHE = 1024


def _keyed_by_colours(method: Any) -> Any:
    plain = method.__wrapped__  # the undecorated function: it never reads its first argument

    @lru_cache(INNER_OUTER_CACHE)
    def inner_outer(base_background: Any, background: Any) -> Any:
        return plain(StylesCache, base_background, background)

    def get_inner_outer(self: StylesCache, base_background: Any, background: Any) -> Any:
        return inner_outer(base_background, background)

    get_inner_outer.__doc__ = method.__doc__
    return get_inner_outer


def apply() -> None:
    method = StylesCache.__dict__.get("get_inner_outer")
    # Textual's is an lru_cache wrapper; ours (already applied) or a fixed Textual's is not.
    if hasattr(method, "cache_info") and hasattr(method, "__wrapped__"):
        setattr(StylesCache, "get_inner_outer", _keyed_by_colours(method))  # noqa: B010


apply()
