"""Modal dialogs. Each returns its answer through ``dismiss``; none does any work itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from kubectl_batch.tui.layout import Fit, Want, want
from kubectl_batch.tui.text import clean, literal
from kubectl_batch.tui.widgets.fitted_table import FittedTable

if TYPE_CHECKING:
    from kubectl_batch.kube.actions.delete import DeletePlan

#: What a dialog answers (its ``dismiss`` value; None when cancelled).
Answer = TypeVar("Answer")

#: DeleteScopeScreen's answer: a label selector ("" for the selection) and the kinds ticked.
DeleteScope = tuple[str, tuple[str, ...]]


class Dialog(ModalScreen[Answer], Generic[Answer]):
    """A centred box with a title; escape cancels (dismisses with None)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog-cancel")]
    DEFAULT_CLASSES = "dialog"

    def __init__(self, title: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dialog_title = title

    def action_cancel(self) -> None:
        self.dismiss(None)


class YesNoDialog(Dialog[bool]):
    """Dismisses with True (y, or the #confirm button) or False (n, escape, #cancel)."""

    @property
    def confirmable(self) -> bool:
        return True

    def action_confirm(self) -> None:
        if self.confirmable:
            self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "confirm":
            self.action_confirm()
        else:
            self.action_cancel()


class ConfirmScreen(YesNoDialog):
    """Says exactly what will happen; dismisses with True (go) or False."""

    BINDINGS = [
        Binding("escape,n", "cancel", "Cancel", id="confirm-cancel"),
        Binding("y", "confirm", "Confirm", id="confirm-yes"),
    ]

    def __init__(
        self,
        title: str,
        lines: Sequence[Text | str],
        confirm: str = "Confirm",
        danger: bool = False,
    ) -> None:
        super().__init__(title)
        self.lines = [line if isinstance(line, Text) else literal(line) for line in lines]
        self.confirm_label, self.danger = confirm, danger

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(clean(self.dialog_title), id="dialog-title", markup=False)
            with VerticalScroll(id="dialog-body"):
                for line in self.lines:
                    yield Static(line, markup=False, classes="dialog-line")
            with Horizontal(id="dialog-buttons"):
                yield Button(
                    f"{self.confirm_label} (y)",
                    id="confirm",
                    variant="error" if self.danger else "primary",
                )
                yield Button("Cancel (n)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel" if self.danger else "#confirm", Button).focus()


class PromptScreen(Dialog[str]):
    """One line of input; dismisses with the text (possibly empty) or None on escape."""

    def __init__(
        self,
        title: str,
        value: str = "",
        placeholder: str = "",
        suggestions: Sequence[str] = (),
        help: str = "",
    ) -> None:
        super().__init__(title)
        self.value, self.placeholder, self.help = value, placeholder, help
        self.suggestions = list(suggestions)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(clean(self.dialog_title), id="dialog-title", markup=False)
            if self.help:
                yield Static(literal(self.help, "dim"), classes="dialog-line")
            yield Input(
                self.value,
                placeholder=self.placeholder,
                id="prompt",
                suggester=SuggestFromList(self.suggestions, case_sensitive=False)
                if self.suggestions
                else None,
            )

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip())


class ChoiceScreen(Dialog[str]):
    """Pick one of a list; dismisses with the chosen value or None."""

    def __init__(self, title: str, choices: Sequence[tuple[str, str]], current: str = "") -> None:
        """``choices``: (value, label) pairs."""
        super().__init__(title)
        self.choices, self.current = list(choices), current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(clean(self.dialog_title), id="dialog-title", markup=False)
            yield OptionList(
                *(
                    Option(literal(label, "bold" if value == self.current else ""), id=value)
                    for value, label in self.choices
                ),
                id="choices",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        for i, (value, _) in enumerate(self.choices):
            if value == self.current:
                options.highlighted = i

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)


class DeleteScopeScreen(Dialog[DeleteScope]):
    """What to delete: the selected object (empty selector) or everything a label selector
    matches, of the kinds ticked. Dismisses with (selector, kinds) or None."""

    def __init__(self, selected: str | None, selector: str = "", cronjobs: bool = False) -> None:
        super().__init__("Delete")
        self.selected, self.selector, self.cronjobs = selected, selector, cronjobs

    def compose(self) -> ComposeResult:
        hint = (
            f"Empty: the selected {self.selected}. Or a label selector, e.g. team=ml,run!=keep"
            if self.selected
            else "A label selector, e.g. team=ml,run!=keep"
        )
        with Vertical(id="dialog"):
            yield Label("Delete", id="dialog-title")
            yield Static(literal(hint, "dim"), classes="dialog-line")
            yield Input(self.selector, placeholder="label selector", id="prompt")
            with Horizontal(id="dialog-kinds"):
                yield Checkbox("Jobs", True, id="kind-job")
                yield Checkbox("CronJobs", self.cronjobs, id="kind-cronjob")
            yield Static(literal("enter: preview (nothing is deleted yet)", "dim"))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        kinds = tuple(
            kind
            for kind, box in (("Job", "#kind-job"), ("CronJob", "#kind-cronjob"))
            if self.query_one(box, Checkbox).value
        )
        self.dismiss((event.value.strip(), kinds))


class DeletePreviewScreen(YesNoDialog):
    """Lists exactly the objects a delete plan removes and how many pods go with them."""

    BINDINGS = [
        Binding("escape,n", "cancel", "Cancel", id="preview-cancel"),
        Binding("y", "confirm", "Delete", id="preview-yes"),
    ]

    def __init__(self, plan: DeletePlan) -> None:
        super().__init__("Delete: preview")
        self.plan = plan

    def compose(self) -> ComposeResult:
        targets = list(self.plan.targets)
        pods = sum(max(t.pods, 0) for t in targets)
        unknown = any(t.pods < 0 for t in targets)
        jobs = sum(getattr(t, "jobs", 0) for t in targets)
        what = f"label selector {self.plan.selector!r}" if self.plan.selector else "the selection"
        where = self.plan.namespace or "all namespaces"
        summary = Text(
            f"{len(targets)} object(s) matching {clean(what)} in {clean(where)}"
            + (f", with the {jobs} job(s) they own" if jobs else "")
            + f", and {pods}{'+' if unknown else ''} pod(s) will be deleted "
            "(propagation: Background).",
            "bold",
        )
        with Vertical(id="dialog", classes="wide"):
            yield Label("Delete: preview", id="dialog-title")
            yield Static(summary, classes="dialog-line")
            yield FittedTable(id="delete-targets", cursor_type="row")
            with Horizontal(id="dialog-buttons"):
                yield Button(
                    f"Delete {len(targets)} (y)",
                    id="confirm",
                    variant="error",
                    disabled=not targets,
                )
                yield Button("Cancel (n)", id="cancel")

    def on_mount(self) -> None:
        table = self.query_one(FittedTable)
        # Names are as wide as the longest, and cut (with …) before the counts go off the
        # dialog's edge.
        targets = self.plan.targets
        table.add_fitted_column("KIND", "kind", Want(0, 7, 8, essential=True))
        table.add_fitted_column(
            "NAMESPACE",
            "namespace",
            want(
                Fit(2, 9, 20, essential=True),
                9,
                max((len(t.namespace) for t in targets), default=0),
            ),
        )
        table.add_fitted_column(
            "NAME",
            "name",
            want(Fit(1, 16, 40, essential=True), 4, max((len(t.name) for t in targets), default=0)),
        )
        table.add_fitted_column("JOBS", "jobs", Want(4, 4, 5, essential=True))
        table.add_fitted_column("PODS", "pods", Want(3, 4, 5, essential=True))
        for t in self.plan.targets:
            jobs = getattr(t, "jobs", 0)
            table.add_row(
                literal(t.kind),
                literal(t.namespace),
                literal(t.name),
                Text(str(jobs) if t.kind == "CronJob" else ""),
                Text(str(t.pods) if t.pods >= 0 else "?"),
            )
        self.query_one("#cancel", Button).focus()

    @property
    def confirmable(self) -> bool:
        return bool(self.plan.targets)
