"""`?`: every key of the screen below, with what it does and, if disabled, why."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Label

from kubectl_batch.tui.keymap import KEYS, key_display
from kubectl_batch.tui.layout import Want
from kubectl_batch.tui.text import clean
from kubectl_batch.tui.widgets.fitted_table import FittedTable


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help-close")]

    def __init__(self, below: Screen) -> None:
        super().__init__(classes="dialog")
        self.below = below

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide"):
            yield Label(
                f"Keys: {self.below.__class__.__name__.removesuffix('Screen')}", id="dialog-title"
            )
            yield FittedTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            yield Label("esc: close · ctrl+p: command palette", classes="dim")

    def on_mount(self) -> None:
        table = self.query_one(FittedTable)
        # Narrower than the dialog would like, the descriptions and reasons wrap.
        table.add_fitted_column("KEY", "key", Want(0, 6, 10, essential=True))
        table.add_fitted_column("WHAT IT DOES", "what", Want(1, 24, 52, essential=True))
        table.add_fitted_column("", "why", Want(2, 16, 40, essential=True))
        unavailable: dict[str, str] = getattr(self.below, "unavailable", lambda: {})()
        seen: set[str] = set()
        ours = {k.id: i for i, k in enumerate(KEYS.values())}
        active_bindings = sorted(
            self.below.active_bindings.items(),
            key=lambda item: ours.get(item[1].binding.id or "", len(ours)),
        )
        for key, active in active_bindings:
            binding = active.binding
            if binding.action in seen or not binding.description:
                continue
            seen.add(binding.action)
            action = binding.action.rsplit(".", 1)[-1]
            reason = unavailable.get(action, "") if not active.enabled else ""
            if not active.enabled and not reason:
                reason = "not available here"
            style = "" if active.enabled else "dim"
            table.add_row(
                Text(key_display(key), "bold " + style),
                Text(clean(binding.tooltip or binding.description), style),
                Text(clean(reason), "dim italic"),
                height=None,
            )
        table.focus()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss()
