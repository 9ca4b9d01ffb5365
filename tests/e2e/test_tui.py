"""The TUI against the real test cluster: the same App, the real ClusterCache and kube
modules, asserting on what the screen shows."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from conftest import job_manifest, served_logs
from rich.text import Text

from kubectl_batch.kube.client import ApiClient
from kubectl_batch.kube.config import load
from kubectl_batch.tui.app import BatchApp, _open_cluster_cache
from kubectl_batch.tui.scope import Scope
from kubectl_batch.tui.screens.job_detail import JobDetailScreen
from kubectl_batch.tui.screens.logs import LogsScreen
from kubectl_batch.tui.widgets.index_grid import IndexGrid
from kubectl_batch.tui.widgets.live_table import LiveTable

pytestmark = pytest.mark.asyncio
SIZE = (140, 40)


def make_app(cluster: Path, namespace: str) -> BatchApp:
    client = ApiClient(load(kubeconfig=str(cluster), namespace=namespace))
    return BatchApp(
        client=client,
        scope=Scope(client.config.context, namespace),
        open_cache=_open_cluster_cache,
    )


async def until(pilot, predicate, timeout: float = 60.0, what: str = ""):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = None
    while loop.time() < deadline:
        last = predicate()
        if last:
            return last
        await pilot.pause(0.2)
    raise AssertionError(f"timed out waiting for {what}: {last!r}")


def cell(app, table: str, name: str, column: str) -> str | None:
    t = app.screen.query_one(f"#{table}", LiveTable)
    for uid, row in t.rows_by_uid.items():
        if row.name == name:
            value = t.get_cell(uid, column)
            return value.plain if isinstance(value, Text) else str(value)
    return None


def uid_of(app, name: str) -> str | None:
    t = app.screen.query_one("#jobs", LiveTable)
    return next((uid for uid, row in t.rows_by_uid.items() if row.name == name), None)


async def test_a_job_progressing_to_complete_updates_its_row_in_place(
    cluster, namespace, kubectl, monkeypatch
):
    kubectl.apply(
        job_manifest(
            "etl",
            completions=3,
            parallelism=1,
            annotations={"test.kubectl-batch.io/duration": "3s"},
        )
    )
    app = make_app(cluster, namespace)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: cell(app, "jobs", "etl", "status") == "Running", what="Running")
        table = app.screen.query_one("#jobs", LiveTable)
        cleared = []
        monkeypatch.setattr(table, "clear", lambda *a, **k: cleared.append(a))
        uid = uid_of(app, "etl")
        seen = set()

        def complete():
            seen.add(cell(app, "jobs", "etl", "completions").split()[0])
            return cell(app, "jobs", "etl", "status") == "Complete"  # its reason adds nothing

        await until(pilot, complete, timeout=90, what="Complete")
        assert uid_of(app, "etl") == uid  # the same row, keyed by uid
        assert cell(app, "jobs", "etl", "completions").startswith("3/3")
        assert {"1/3", "2/3"} & seen  # it went through the intermediate counts
        assert cleared == []


async def test_events_are_listed_as_soon_as_the_first_tables_are_shown(cluster, namespace, kubectl):
    """The cache holds the Event LIST back for the first tables (the screen has the CPU to
    itself); the app must say when they are shown, or the Events wait 15 s."""
    from kubectl_batch.kube.cache import LATER_AT_THE_LATEST, Phase

    kubectl.apply(job_manifest("parked", suspend=True))
    app = make_app(cluster, namespace)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: cell(app, "jobs", "parked", "status"), what="the Job's row")
        shown = asyncio.get_running_loop().time()
        await until(
            pilot,
            lambda: app.cache.states()["Event"].phase is Phase.CONNECTED,
            timeout=LATER_AT_THE_LATEST / 3,
            what="the Events listed",
        )
        assert asyncio.get_running_loop().time() - shown < LATER_AT_THE_LATEST / 3


async def test_a_failing_index_shows_its_backoff_countdown(cluster, namespace, kubectl):
    kubectl.apply(
        job_manifest(
            "render",
            completions=3,
            parallelism=3,
            indexed=True,
            backoffLimitPerIndex=4,
            annotations={
                "test.kubectl-batch.io/fail-indexes": "1",
                "test.kubectl-batch.io/duration": "1s",
            },
        )
    )
    app = make_app(cluster, namespace)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: uid_of(app, "render"), what="the job's row")
        backoff = await until(
            pilot,
            lambda: (
                (cell(app, "jobs", "render", "why") or "").startswith("retry in")
                and cell(app, "jobs", "render", "why")
            ),
            what="a backoff countdown in the row",
        )
        assert backoff.startswith("retry in ")
        table = app.screen.query_one("#jobs", LiveTable)
        table.focus()
        table.select_uid(uid_of(app, "render"))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, JobDetailScreen), what="detail")
        grid = app.screen.query_one(IndexGrid)
        await until(pilot, lambda: grid.grid_layout is not None, what="the grid")
        grid.focus()
        await pilot.press("home", "right")  # index 1

        def countdown():
            text = str(app.screen.query_one("#index-detail").render())
            return "index 1" in text and "retry in " in text and text

        text = await until(pilot, countdown, timeout=60, what="index 1 backing off")
        assert "Failed  exit 1  Error" in text


async def test_logs_follow_a_running_pod(cluster, namespace, kubectl):
    with served_logs(
        kubectl, namespace, "2026-01-01T00:00:00Z stdout F epoch 1 loss=0.93", follow=True
    ) as log_file:
        kubectl.apply(job_manifest("train", annotations={"test.kubectl-batch.io/outcome": "run"}))
        app = make_app(cluster, namespace)
        async with app.run_test(size=SIZE) as pilot:
            await until(
                pilot, lambda: cell(app, "jobs", "train", "pods") == "1/1/0", what="a running pod"
            )
            table = app.screen.query_one("#jobs", LiveTable)
            table.focus()
            table.select_uid(uid_of(app, "train"))
            await pilot.press("l")
            await until(pilot, lambda: isinstance(app.screen, LogsScreen), what="logs")

            def shown():
                return [s.text.rstrip() for s in app.screen.query_one("#log").lines]

            await until(pilot, lambda: "epoch 1 loss=0.93" in shown(), what="the first line")
            with log_file.open("a") as f:
                f.write("2026-01-01T00:00:01Z stdout F epoch 2 loss=0.71\n")
            await until(pilot, lambda: "epoch 2 loss=0.71" in shown(), what="the appended line")
            assert shown()[-2:] == ["epoch 1 loss=0.93", "epoch 2 loss=0.71"]


async def test_suspend_from_the_ui_terminates_the_pods_it_listed(cluster, namespace, kubectl):
    kubectl.apply(
        job_manifest(
            "sweep",
            completions=2,
            parallelism=2,
            annotations={"test.kubectl-batch.io/outcome": "run"},
        )
    )
    app = make_app(cluster, namespace)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: cell(app, "jobs", "sweep", "pods") == "2/2/0", what="2 pods")
        table = app.screen.query_one("#jobs", LiveTable)
        table.focus()
        table.select_uid(uid_of(app, "sweep"))
        await pilot.press("s")
        await until(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen", what="modal")
        listed = "\n".join(str(w.render()) for w in app.screen.query(".dialog-line"))
        assert "deletes its 2 active pod(s)" in listed
        await pilot.press("y")
        await until(
            pilot,
            lambda: (cell(app, "jobs", "sweep", "status") or "").startswith("Suspended"),
            what="the row to say Suspended",
        )
        assert kubectl.get("job", "sweep")["spec"]["suspend"] is True
        assert any("job/sweep" in str(n.message) for n in app._notifications)
