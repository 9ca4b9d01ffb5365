"""Keys that change the cluster: a modal shows what will happen, the work runs in a worker
(fake kube.actions here), and the outcome is notified."""

from __future__ import annotations

import pytest
from fixtures.tui_fakes import DeletePlan, DeleteTarget, FakeKube, make_app, settle
from test_tui_main import SIZE, select

from kubectl_batch.kube.actions import ActionError
from kubectl_batch.tui.screens.main import MainScreen
from kubectl_batch.tui.screens.modals import ConfirmScreen, DeletePreviewScreen

pytestmark = pytest.mark.asyncio


def dialog_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query(".dialog-line"))


def notes(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


async def finish(pilot, app) -> None:
    """Wait for the action workers (not the refresher, which runs for ever)."""
    for _ in range(200):
        await pilot.pause(0.02)
        if not any(w.group == "action" and w.is_running for w in app.workers):
            break
    await pilot.pause(0.1)


async def test_suspending_a_job_lists_the_pods_that_will_be_terminated():
    kube = FakeKube()
    app = make_app(kube=kube)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        select(app, "param-sweep-100k")
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        text = dialog_text(app)
        assert "deletes its 8 active pod(s)" in text
        assert text.count("will be terminated") == 8
        await pilot.press("y")
        await finish(pilot, app)
        assert kube.actions.calls == [
            ("set_suspend", "Job", "batch-demo", "param-sweep-100k", True)
        ]
        assert "Suspend job param-sweep-100k: job/param-sweep-100k suspended" in notes(app)


async def test_cancel_does_nothing():
    kube = FakeKube()
    app = make_app(kube=kube)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        select(app, "train-model")
        await pilot.press("s", "n")
        await finish(pilot, app)
        assert isinstance(app.screen, MainScreen)
        assert kube.actions.calls == []


async def test_resuming_a_cronjob_warns_about_the_missed_run():
    kube = FakeKube()
    app = make_app(kube=kube)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        select(app, "report-hourly", "cronjobs")
        await pilot.press("s")
        await pilot.pause()
        assert "most recent missed run starts at once" in dialog_text(app)
        await pilot.press("y")
        await finish(pilot, app)
        assert kube.actions.calls == [
            ("set_suspend", "CronJob", "batch-demo", "report-hourly", False)
        ]


async def test_trigger_a_cronjob_now():
    kube = FakeKube()
    app = make_app(kube=kube)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        select(app, "db-backup", "cronjobs")
        await pilot.press("t")
        await pilot.pause()
        assert "concurrencyPolicy Forbid ignores manual runs" in dialog_text(app)
        await pilot.press("y")
        await finish(pilot, app)
        assert kube.actions.calls == [("trigger_cronjob", "batch-demo", "db-backup")]
        assert "Trigger db-backup: job/db-backup-manual created" in notes(app)


async def test_retry_failed_indexes_and_rerun_a_failed_job():
    kube = FakeKube()
    app = make_app(kube=kube)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        select(app, "render-frames")
        await pilot.press("r")
        await pilot.pause()
        assert "failed indexes 3,7" in dialog_text(app)
        await pilot.press("y")
        await finish(pilot, app)
        select(app, "oom-crunch")
        await pilot.press("r", "y")
        await finish(pilot, app)
        assert kube.actions.calls == [
            ("retry_failed_indexes", "batch-demo", "render-frames"),
            ("rerun_job", "batch-demo", "oom-crunch"),
        ]


async def test_delete_the_selected_job_after_a_preview():
    kube = FakeKube()
    app = make_app(kube=kube)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        select(app, "param-sweep-100k")
        await pilot.press("D")
        await pilot.pause()
        await pilot.press("enter")  # empty selector: the selection
        await finish(pilot, app)
        assert isinstance(app.screen, DeletePreviewScreen)
        rows = app.screen.query_one("#delete-targets")
        assert [c.plain for c in rows.get_row_at(0)] == [
            "Job",
            "batch-demo",
            "param-sweep-100k",
            "",
            "8",
        ]
        summary = str(app.screen.query(".dialog-line").first().render())
        assert "1 object(s)" in summary and "8 pod(s) will be deleted" in summary
        await pilot.press("y")
        await finish(pilot, app)
        assert kube.actions.calls == [("execute_delete", ("param-sweep-100k",))]
        assert "Delete 1 object(s): job/param-sweep-100k deleted" in notes(app)


async def test_bulk_delete_by_label_selector():
    kube = FakeKube()
    kube.actions.plan = DeletePlan(
        "team=ml",
        "batch-demo",
        ("Job",),
        (
            DeleteTarget("Job", "batch-demo", "etl-daily", "u1", 1),
            DeleteTarget("Job", "batch-demo", "oom-crunch", "u2", 1),
        ),
    )
    app = make_app(kube=kube)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("D", *"team=ml", "enter")
        await finish(pilot, app)
        assert isinstance(app.screen, DeletePreviewScreen)
        assert app.screen.query_one("#delete-targets").row_count == 2
        await pilot.press("y")
        await finish(pilot, app)
        assert kube.actions.calls == [
            ("plan_delete", "batch-demo", "team=ml", ("Job",)),
            ("execute_delete", ("etl-daily", "oom-crunch")),
        ]


async def test_a_failure_is_notified_in_one_sentence():
    kube = FakeKube()
    kube.actions.fail_with = ActionError("job/train-model: not found (it was deleted)")
    app = make_app(kube=kube)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        select(app, "train-model")
        await pilot.press("s", "y")
        await finish(pilot, app)
        assert notes(app)[-1] == (
            "Suspend job train-model: job/train-model: not found (it was deleted)"
        )
        assert list(app._notifications)[-1].severity == "error"


async def test_resuming_a_job_a_queue_holds_says_why_and_forces_only_when_confirmed():
    import json
    from pathlib import Path

    queued = json.loads((Path(__file__).parent / "fixtures" / "why.json").read_text())["queued"]
    ns = queued["job"]["metadata"]["namespace"]
    kube = FakeKube()
    app = make_app(
        {"jobs": [queued["job"]], "recordedAt": queued["recordedAt"]}, namespace=ns, kube=kube
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        select(app, "queued")
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        text = dialog_text(app)
        assert f"job {ns}/queued is queued in team-a: resuming it by hand would bypass" in text
        await pilot.press("y")
        await finish(pilot, app)
        assert kube.actions.calls == [("set_suspend", "Job", ns, "queued", False, "force")]
