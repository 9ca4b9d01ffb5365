"""Changing the cluster from the UI: actions run in the app's exclusive action worker, and
their outcome (or any error) is reported in one place.

:class:`ActionRunner` is mixed into :class:`~kubectl_batch.tui.app.BatchApp`, so its
``on_*`` message handlers and ``@work`` workers are the app's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.message import Message

from kubectl_batch.domain.jobs import jobs_by_cronjob
from kubectl_batch.kube.errors import describe

if TYPE_CHECKING:
    from kubectl_batch.kube.actions.delete import DeletePlan, DeleteTarget
    from kubectl_batch.tui.ports import HostApp
    from kubectl_batch.tui.screens.base import Selection

    _AppBase = HostApp
else:
    _AppBase = object


class ActionFinished(Message):
    def __init__(self, title: str, results: list[Any], error: str | None) -> None:
        super().__init__()
        self.title, self.results, self.error = title, results, error


class DeletePlanned(Message):
    def __init__(self, plan: DeletePlan) -> None:
        super().__init__()
        self.plan = plan


class ActionRunner(_AppBase):
    """Runs cluster actions and delete plans, and reports their outcome. Mixed into the
    App: uses its ``kube``, ``client``, ``cache``, ``scope`` and ``poke``."""

    def perform(self, title: str, call: Callable[[Any, Any], Any]) -> None:
        """Run a cluster action in the exclusive action worker; its outcome is notified."""
        self.notify(f"{title}…", timeout=2, markup=False)
        self._perform(title, call)

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def _perform(self, title: str, call: Callable[[Any, Any], Any]) -> None:
        try:
            result = call(self.kube, self.client)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, in one place
            self.post_message(ActionFinished(title, [], describe(exc)))
            return
        results = result if isinstance(result, list) else [result]
        self.post_message(ActionFinished(title, results, None))

    def on_action_finished(self, message: ActionFinished) -> None:
        if message.error:
            self.report_error(message.title, message.error)
            return
        failed = [r for r in message.results if getattr(r, "ok", True) is False]
        lines = [str(getattr(r, "message", r)) for r in message.results] or ["done"]
        more = f"\n… and {len(lines) - 10} more" if len(lines) > 10 else ""
        self.notify(
            "\n".join(lines[:10]) + more,
            title=message.title,
            severity="error" if failed else "information",
            timeout=8 if failed else 5,
            markup=False,
        )
        self.poke()

    def report_error(self, title: str, error: str) -> None:
        self.notify(error, title=title, severity="error", timeout=8, markup=False)

    def plan_delete(
        self, selector: str, kinds: tuple[str, ...], selection: Selection | None
    ) -> None:
        self._plan_delete(selector, kinds, selection)

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def _plan_delete(
        self, selector: str, kinds: tuple[str, ...], selection: Selection | None
    ) -> None:
        try:
            actions = self.kube.actions
            if selector:
                plan = actions.plan_delete(self.client, self.scope.namespace, selector, kinds)
            elif selection is None:
                raise ValueError("give a label selector: nothing is selected")
            else:
                target = self._delete_target(actions, selection)
                plan = actions.DeletePlan("", selection.namespace, (selection.kind,), (target,))
        except Exception as exc:  # noqa: BLE001
            self.post_message(ActionFinished("Delete", [], describe(exc)))
            return
        self.post_message(DeletePlanned(plan))

    def _delete_target(self, actions: Any, selection: Selection) -> DeleteTarget:
        """The selected Job or CronJob as a delete target, counted from the cache."""
        if selection.kind == "Job":
            pods, jobs = len(self.cache.pods_of(selection.uid)), 0
        else:
            owned = jobs_by_cronjob(self.cache.jobs()).get(selection.uid, [])
            jobs = len(owned)
            pods = sum(len(self.cache.pods_of(j["metadata"].get("uid", ""))) for j in owned)
        return actions.DeleteTarget(
            kind=selection.kind,
            namespace=selection.namespace,
            name=selection.name,
            uid=selection.uid,
            pods=pods,
            jobs=jobs,
        )

    def on_delete_planned(self, message: DeletePlanned) -> None:
        from kubectl_batch.tui.screens.modals import DeletePreviewScreen

        plan = message.plan

        def go(confirmed: bool | None) -> None:
            if confirmed:
                self.perform(
                    f"Delete {len(plan.targets)} object(s)",
                    lambda kube, client: kube.actions.execute_delete(client, plan),
                )

        self.push_screen(DeletePreviewScreen(plan), go)
