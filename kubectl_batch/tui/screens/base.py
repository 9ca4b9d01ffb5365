"""What the live screens share: being fed from the cache, and the actions on a selection.

A :class:`LiveScreen` is refreshed by the app: ``build`` runs in the app's refresher thread
(reads the cache, computes a model, touches no widget), ``show`` runs on the UI thread with
that model, and ``tick`` runs every second for countdowns.

:class:`ObjectActions` gives a screen the keys that act on its selected object (logs,
suspend/resume, trigger, retry, delete, YAML): ``check_action`` disables what does not
apply, with a reason (:meth:`ObjectActions.unavailable`) shown in the hint line and in help;
destructive actions go through a confirmation modal and run in the app's action worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from kubectl_batch.domain.diagnosis import resume_refusal
from kubectl_batch.domain.jobs import (
    is_job_finished,
    is_pod_active,
    is_suspended,
    job_status_text,
    suspend_warning,
)
from kubectl_batch.tui.keymap import bindings
from kubectl_batch.tui.services import Access
from kubectl_batch.tui.text import clean, literal
from kubectl_batch.tui.widgets.text import show_text

if TYPE_CHECKING:
    from kubectl_batch.tui.ports import CacheView, HostApp

Obj = dict[str, Any]


def header_columns(screen: Screen, header: Widget) -> int:
    """The cells each line of a detail header has: its width once laid out, else about
    the screen's (its padding and the scrollbar)."""
    return header.size.width or max(screen.size.width - 4, 20)


class LiveScreen(Screen):
    """A screen whose content comes from the cluster cache."""

    app: HostApp

    def build(self, cache: CacheView, clock: Callable[[], datetime]) -> Any:
        """Compute this screen's model from the cache. Runs in a worker thread."""
        raise NotImplementedError

    def show(self, model: Any) -> None:
        """Put a model on screen (UI thread)."""

    def tick(self, now: datetime) -> None:
        """Once a second: countdowns and ages of what is visible."""

    def on_screen_resume(self) -> None:
        self.app.follow_screen(self)


def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


@dataclass(frozen=True)
class Selection:
    """The object the keys act on."""

    kind: str  # "Job" | "CronJob" | "Pod"
    obj: Obj = field(repr=False)
    #: The Job of a selected pod or index.
    job: Obj | None = field(default=None, repr=False)
    #: A completion index chosen in the grid.
    index: int | None = None
    pods: tuple[Obj, ...] = field(default=(), repr=False)

    @property
    def name(self) -> str:
        return _meta(self.obj).get("name", "")

    @property
    def namespace(self) -> str:
        return _meta(self.obj).get("namespace", "")

    @property
    def uid(self) -> str:
        return _meta(self.obj).get("uid", "")

    def describe(self) -> str:
        what = f"{self.kind.lower()} {self.namespace}/{self.name}"
        return what if self.index is None else f"index {self.index} of {what}"


RESOURCE = {"Job": "jobs", "CronJob": "cronjobs", "Pod": "pods"}
GROUP = {"Job": "batch", "CronJob": "batch", "Pod": ""}


def failed_index_text(job: Obj) -> str:
    return (job.get("status") or {}).get("failedIndexes") or ""


def retry_kind(job: Obj) -> str | None:
    """ "indexes" (re-run failed indexes), "job" (re-run a failed Job) or None."""
    if failed_index_text(job):
        return "indexes"
    if job_status_text(job) == "Failed":
        return "job"
    return None


if TYPE_CHECKING:  # checked as the LiveScreen it is mixed into (its app, query_one, ...)
    _ObjectActionsBase = LiveScreen
else:
    _ObjectActionsBase = object


class ObjectActions(_ObjectActionsBase):
    """Keys acting on the selected object. Mixed into a :class:`LiveScreen`."""

    OBJECT_BINDINGS = bindings("open", "logs", "suspend", "trigger", "retry", "delete", "yaml")
    OBJECT_ACTIONS = frozenset({"open", "logs", "suspend", "trigger", "retry", "delete", "yaml"})

    # -- what subclasses provide --------------------------------------------------------
    def selection(self) -> Selection | None:
        raise NotImplementedError

    def action_open(self) -> None:
        raise NotImplementedError

    # -- availability -------------------------------------------------------------------
    def _permission(self, verb: str, kind: str, namespace: str, sub: str = "") -> str | None:
        """The reason the user may not do this, or None (allowed or not known yet)."""
        answer = self.app.permissions.check(
            Access(verb, RESOURCE[kind], GROUP[kind], namespace, sub)
        )
        if answer is None or answer[0]:
            return None
        return answer[1] or f"forbidden: cannot {verb} {RESOURCE[kind]} in namespace {namespace}"

    def unavailable(self) -> dict[str, str]:
        """Action -> why it does not apply to the selection now."""
        sel = self.selection()
        if sel is None:
            none = "nothing selected"
            return {a: none for a in ("open", "logs", "suspend", "trigger", "retry", "yaml")}
        out: dict[str, str] = {}
        ns = sel.namespace
        if sel.kind == "CronJob":
            out["logs"] = "select a job or pod for logs"
            out["retry"] = "only for jobs"
            reason = self._permission("patch", "CronJob", ns)
            if reason:
                out["suspend"] = reason
            reason = self._permission("create", "Job", ns)
            if reason:
                out["trigger"] = reason
        else:
            out["trigger"] = "only for cronjobs"
            job = sel.obj if sel.kind == "Job" else sel.job
            if sel.kind == "Pod":
                out["suspend"] = "select the job to suspend it"
            elif job is not None and is_job_finished(job):
                out["suspend"] = "the job has finished"
            elif job is not None:
                reason = self._permission("patch", "Job", ns)
                if reason:
                    out["suspend"] = reason
            if job is None or retry_kind(job) is None:
                out["retry"] = "no failed indexes"
            else:
                reason = self._permission("create", "Job", ns)
                if reason:
                    out["retry"] = reason
            if sel.kind == "Job" and not sel.pods:
                out["logs"] = "the job has no pods"
            else:
                reason = self._permission("get", "Pod", ns, "log")
                if reason:
                    out["logs"] = reason
        if sel.kind != "Pod":
            reason = self._permission("delete", sel.kind, ns)
            if reason:
                out["delete"] = reason
        return out

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.OBJECT_ACTIONS and action in self.unavailable():
            return None  # shown greyed out; the reason is in the hint line and help
        return True

    def hint_text(self, reasons: dict[str, str] | None = None) -> Text:
        """One line: why the disabled keys are disabled."""
        reasons = self.unavailable() if reasons is None else reasons
        sel = self.selection()
        relevant = (
            ("suspend", "trigger", "delete")
            if sel and sel.kind == "CronJob"
            else (
                "logs",
                "suspend",
                "retry",
                "delete",
            )
        )
        text = Text(end="", no_wrap=True)
        keys = {k.id: k for k in self.app.key_table()}
        for action in relevant:
            if action in reasons:
                if text:
                    text.append(" · ", "dim")
                text.append(keys[action].display, "bold")
                text.append(f": cannot {self._verb(action, sel)}: {clean(reasons[action])}", "dim")
        return text

    @staticmethod
    def _verb(action: str, sel: Selection | None) -> str:
        """What the key would do, for the hint's sentence ("cannot resume: ...")."""
        if action == "suspend":
            return "resume" if sel is not None and is_suspended(sel.obj) else "suspend"
        return {"logs": "show logs", "retry": "retry", "delete": "delete"}.get(action, action)

    def update_hint(self) -> None:
        """Re-check the keys and the hint line, but only when what is available changed:
        refreshing the bindings rebuilds the footer, and the screens call this on every
        refresh of the cluster's state."""
        if not self.is_mounted:
            return  # a can-i answer came before the widgets: the first show() asks again
        reasons = self.unavailable()
        hint = self.hint_text(reasons)
        shown = (reasons, hint.plain)
        if shown == getattr(self, "_shown_keys", None):
            return
        self._shown_keys = shown
        self.refresh_bindings()
        for line in self.query("#hint"):
            assert isinstance(line, Static)
            show_text(line, hint)

    # -- actions --------------------------------------------------------------------------
    def action_yaml(self) -> None:
        sel = self.selection()
        if sel is not None:
            from kubectl_batch.tui.screens.yaml_view import YamlScreen

            self.app.push_screen(YamlScreen(sel.kind, sel.obj))

    def action_logs(self) -> None:
        self.open_logs(self.selection())

    def open_logs(self, sel: Selection | None) -> None:
        if sel is None:
            return
        from kubectl_batch.tui.screens.logs import LogsScreen, LogTarget

        target: LogTarget | None
        if sel.kind == "Pod":
            target = LogTarget.for_pod(sel.obj)
        elif sel.index is not None and sel.job is not None:
            target = LogTarget.for_index(sel.job, sel.index, sel.pods)
        elif sel.kind == "Job":
            target = LogTarget.for_job(sel.obj, sel.pods)
        else:
            return
        if target is None:
            self.app.report_error("Logs", "no pod to show logs of")
            return
        self.app.push_screen(LogsScreen(target))

    def action_suspend(self) -> None:
        sel = self.selection()
        if sel is None or sel.kind not in ("Job", "CronJob"):
            return
        suspend = not is_suspended(sel.obj)
        verb = "Suspend" if suspend else "Resume"
        lines: list[Text | str] = []
        if sel.kind == "Job" and suspend:
            running = [p for p in sel.pods if is_pod_active(p)]
            warning = suspend_warning(sel.obj, active=len(running))
            if warning is not None:
                lines.append(Text(clean(warning.suspending), "bold"))
                for pod in running[:20]:
                    lines.append(literal(f"  • {_meta(pod).get('name', '')} will be terminated"))
                if len(running) > 20:
                    lines.append(f"  … and {len(running) - 20} more")
                lines.append(clean(warning.resuming))
        elif sel.kind == "Job":
            refusal = resume_refusal(sel.obj)
            if refusal is not None:
                # A queue holds it: say so, and resume only as a forced, named choice.
                lines.append(Text(clean(refusal) + ".", "bold red"))
                verb = "Force resume"
            lines.append(
                f"Resuming job {sel.namespace}/{sel.name} creates its pods again; its start "
                "time (and activeDeadlineSeconds) restarts now."
            )
        elif suspend:
            lines.append(
                f"Suspending cronjob {sel.namespace}/{sel.name} stops new runs; "
                "jobs already running keep running."
            )
        else:
            deadline = (sel.obj.get("spec") or {}).get("startingDeadlineSeconds")
            lines.append(f"Resuming cronjob {sel.namespace}/{sel.name} schedules runs again.")
            if deadline is None:
                lines.append(
                    "It has no startingDeadlineSeconds: the most recent missed run starts at once."
                )

        forced = verb == "Force resume"

        def go(confirmed: bool | None) -> None:
            if confirmed:
                self.app.perform(
                    f"{verb} {sel.kind.lower()} {sel.name}",
                    lambda kube, client: kube.actions.set_suspend(
                        client, sel.kind, sel.namespace, sel.name, suspend, force=forced
                    ),
                )

        from kubectl_batch.tui.screens.modals import ConfirmScreen

        self.app.push_screen(
            ConfirmScreen(
                f"{verb} {sel.kind.lower()} {sel.name}?", lines, verb, danger=suspend or forced
            ),
            go,
        )

    def action_trigger(self) -> None:
        sel = self.selection()
        if sel is None or sel.kind != "CronJob":
            return
        policy = (sel.obj.get("spec") or {}).get("concurrencyPolicy") or "Allow"
        lines: list[Text | str] = [
            f"Creates a job from cronjob {sel.namespace}/{sel.name} now "
            "(as kubectl create job --from=cronjob/...).",
            f"The schedule is not affected; concurrencyPolicy {policy} ignores manual runs.",
        ]

        def go(confirmed: bool | None) -> None:
            if confirmed:
                self.app.perform(
                    f"Trigger {sel.name}",
                    lambda kube, client: kube.actions.trigger_cronjob(
                        client, sel.namespace, sel.name
                    ),
                )

        from kubectl_batch.tui.screens.modals import ConfirmScreen

        self.app.push_screen(ConfirmScreen(f"Run {sel.name} now?", lines, "Trigger"), go)

    def action_retry(self) -> None:
        sel = self.selection()
        job = sel.obj if sel is not None and sel.kind == "Job" else (sel.job if sel else None)
        if sel is None or job is None:
            return
        kind = retry_kind(job)
        name, ns = _meta(job).get("name", ""), _meta(job).get("namespace", "")
        if kind == "indexes":
            lines: list[Text | str] = [
                f"Re-runs the failed indexes {failed_index_text(job)} of job {ns}/{name} in "
                "new job(s) labelled as its retry; the original job is kept.",
            ]
            call = lambda kube, client: kube.actions.retry_failed_indexes(client, ns, name)  # noqa: E731
        elif kind == "job":
            lines = [f"Creates a new job re-running {ns}/{name}; the original job is kept."]
            call = lambda kube, client: kube.actions.rerun_job(client, ns, name)  # noqa: E731
        else:
            return

        def go(confirmed: bool | None) -> None:
            if confirmed:
                self.app.perform(f"Retry {name}", call)

        from kubectl_batch.tui.screens.modals import ConfirmScreen

        self.app.push_screen(ConfirmScreen(f"Retry {name}?", lines, "Retry"), go)

    def action_delete(self) -> None:
        from kubectl_batch.tui.screens.modals import DeleteScopeScreen

        sel = self.selection()
        selectable = sel if sel is not None and sel.kind in ("Job", "CronJob") else None
        what = f"{selectable.kind.lower()} {selectable.name}" if selectable else None

        def chosen(answer: tuple[str, tuple[str, ...]] | None) -> None:
            if answer is None:
                return
            selector, kinds = answer
            if not selector and selectable is None:
                self.app.report_error("Delete", "give a label selector: nothing is selected")
                return
            if not kinds:
                self.app.report_error("Delete", "tick Jobs and/or CronJobs")
                return
            self.app.plan_delete(selector, kinds, selectable)

        self.app.push_screen(
            DeleteScopeScreen(
                what, cronjobs=selectable is not None and selectable.kind == "CronJob"
            ),
            chosen,
        )
