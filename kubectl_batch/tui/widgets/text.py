"""Putting text into a Static without laying out the whole screen again."""

from __future__ import annotations

from textual.visual import VisualType
from textual.widgets import Static


def show_text(widget: Static, content: VisualType) -> None:
    """Show ``content`` in ``widget``, unless it shows it already.

    ``Static.update`` lays the whole screen out again by default, which re-renders every
    line of every table: the titles, the scope bar and the hint were updated on every
    refresh and every second, and under churn that was most of the app's CPU. Only a
    widget whose height follows its content (``height: auto``) needs the layout."""
    if getattr(widget, "_shown_content", None) == content:
        return
    widget._shown_content = content  # type: ignore[attr-defined]
    height = widget.styles.height
    widget.update(content, layout=height is None or height.is_auto)
