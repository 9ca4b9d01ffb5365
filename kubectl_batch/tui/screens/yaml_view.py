"""`y`: an object as YAML, read-only, as the API server has it (managedFields dropped)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml
from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import TextArea

from kubectl_batch.kube.errors import describe
from kubectl_batch.tui.keymap import bindings
from kubectl_batch.tui.text import clean, lines
from kubectl_batch.tui.widgets.footer import KeyFooter
from kubectl_batch.tui.widgets.scope_bar import ScopeBar

if TYPE_CHECKING:
    from kubectl_batch.tui.ports import HostApp


def to_yaml(obj: dict[str, Any]) -> str:
    text = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, allow_unicode=True)
    return "\n".join(lines(text))


class YamlScreen(Screen):
    """The object as the API server has it now (read when the screen opens): the cache
    keeps only what the lists read. If it cannot be read, the cached part is shown, said so."""

    BINDINGS = bindings("back")

    app: HostApp

    def __init__(self, kind: str, obj: dict[str, Any]) -> None:
        super().__init__(classes="yaml")
        self.kind, self.obj = kind, obj

    def compose(self) -> ComposeResult:
        meta = self.obj.get("metadata") or {}
        yield ScopeBar()
        area = TextArea(
            f"# reading {self.kind} {meta.get('namespace', '')}/{meta.get('name', '')} ...",
            read_only=True,
            show_line_numbers=True,
            soft_wrap=False,
            id="yaml",
        )
        area.border_title = f"{self.kind} {meta.get('namespace', '')}/{meta.get('name', '')}"
        yield area
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(ScopeBar).show(scope=self.app.scope, extra=f"YAML of {self.kind}")
        self.query_one(TextArea).focus()
        self._read()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _read(self) -> None:
        meta = self.obj.get("metadata") or {}
        try:
            whole = self.app.kube.read(
                self.app.client, self.kind, meta.get("namespace", ""), meta.get("name", "")
            )
            text = to_yaml(whole)
        except Exception as exc:  # noqa: BLE001 - say it, show what the cache has
            text = (
                f"# could not read it from the API server ({clean(describe(exc))});\n"
                "# this is the cached copy, which keeps only the fields kubectl batch shows\n"
                + to_yaml(self.obj)
            )
        self.app.call_from_thread(self._show, text)

    def _show(self, text: str) -> None:
        area = self.query_one(TextArea)
        area.load_text(text)
