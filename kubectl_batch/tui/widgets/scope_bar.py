"""The top line of every live screen: where we look (context, namespace, selector, filter)
and whether the watches are connected, reconnecting (since when) or forbidden, per resource."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.widgets import Static

from kubectl_batch.domain.timeutil import format_duration
from kubectl_batch.tui.scope import Scope
from kubectl_batch.tui.text import clean
from kubectl_batch.tui.widgets.text import show_text

RESOURCE_LABEL = {"Job": "jobs", "CronJob": "cronjobs", "Pod": "pods", "Event": "events"}


def connection_text(states: Mapping[str, Any], now: datetime) -> Text:
    """● connected / ◌ connecting / ⟳ pods reconnecting since T (40s) / ⊘ events forbidden."""
    phases = {kind: getattr(s.phase, "value", s.phase) for kind, s in states.items()}
    if not states:
        return Text("◌ not connected", "dim")
    if all(p == "connected" for p in phases.values()):
        return Text("● connected", "green")
    parts: list[Text] = []
    for kind, state in states.items():
        phase, name = phases[kind], RESOURCE_LABEL.get(kind, kind.lower())
        if phase == "connected":
            continue
        if phase == "connecting":
            parts.append(Text(f"◌ {name} connecting", "yellow"))
        elif phase == "reconnecting":
            since = state.since.astimezone().strftime("%H:%M:%S")
            ago = format_duration(now - state.since)
            parts.append(Text(f"⟳ {name} reconnecting since {since} ({ago})", "bold yellow"))
        elif phase == "forbidden":
            parts.append(Text(f"⊘ {name} forbidden", "bold red"))
    return Text(" · ", "dim").join(parts)


class ScopeBar(Static):
    """Scope on the left, connection state on the right (one line)."""

    DEFAULT_CSS = """
    ScopeBar { height: 1; background: $panel; color: $text; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", markup=False, **kwargs)
        self._scope_text = ""
        self._extra = ""
        self._connection = Text("")

    def show(
        self,
        scope: Scope | None = None,
        states: Mapping[str, Any] | None = None,
        now: datetime | None = None,
        extra: str | None = None,
    ) -> None:
        if scope is not None:
            self._scope_text = clean(scope.describe())
        if extra is not None:
            self._extra = clean(extra)
        if states is not None and now is not None:
            self._connection = connection_text(states, now)
        left = Text(" kubectl batch ", "bold reverse")
        left.append(" " + self._scope_text)
        if self._extra:
            left.append(" · " + self._extra, "cyan")
        width = self.size.width or 140
        room = width - self._connection.cell_len - 2
        if left.cell_len > room > 0:  # the connection state stays whole; the scope is cut
            left.truncate(room, overflow="ellipsis")
        pad = max(1, width - left.cell_len - self._connection.cell_len - 1)
        left.append(" " * pad)
        left.append_text(self._connection)
        show_text(self, left)

    def on_resize(self) -> None:
        self.show()
