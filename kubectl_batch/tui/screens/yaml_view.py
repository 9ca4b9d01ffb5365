"""`y`: an object as YAML, read-only (as the cache holds it: managedFields dropped)."""

from __future__ import annotations

from typing import Any

import yaml
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, TextArea

from kubectl_batch.tui.keymap import bindings
from kubectl_batch.tui.text import lines
from kubectl_batch.tui.widgets.scope_bar import ScopeBar


def to_yaml(obj: dict[str, Any]) -> str:
    text = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, allow_unicode=True)
    return "\n".join(lines(text))


class YamlScreen(Screen):
    BINDINGS = bindings("back")

    def __init__(self, kind: str, obj: dict[str, Any]) -> None:
        super().__init__(classes="yaml")
        self.kind, self.obj = kind, obj

    def compose(self) -> ComposeResult:
        meta = self.obj.get("metadata") or {}
        bar = ScopeBar()
        yield bar
        area = TextArea(
            to_yaml(self.obj), read_only=True, show_line_numbers=True, soft_wrap=False, id="yaml"
        )
        area.border_title = f"{self.kind} {meta.get('namespace', '')}/{meta.get('name', '')}"
        yield area
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ScopeBar).show(scope=self.app.scope, extra=f"YAML of {self.kind}")  # type: ignore[attr-defined]
        self.query_one(TextArea).focus()
