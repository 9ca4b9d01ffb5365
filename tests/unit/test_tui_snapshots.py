"""Snapshots of every screen (fixed size, frozen clock, recorded objects).

Update after an intended change of the UI with ``pytest --snapshot-update``.
"""

from __future__ import annotations

from fixtures.tui_fakes import FakeKube, make_app, settle
from test_tui_main import SIZE, select

from kubectl_batch.tui.widgets.index_grid import IndexGrid


def snap(snap_compare, *steps, app=None):
    app = app or make_app()

    async def run_before(pilot) -> None:
        await settle(pilot, app)
        for step in steps:
            if callable(step):
                await step(pilot, app)
            else:
                await pilot.press(step)
            await pilot.pause(0.1)
            await settle(pilot, app)
        await pilot.pause(0.3)

    return snap_compare(app, terminal_size=SIZE, run_before=run_before)


def choose(name: str, table: str = "jobs"):
    async def step(pilot, app) -> None:
        select(app, name, table)
        await pilot.pause()

    return step


async def focus_grid(pilot, app) -> None:
    app.screen.query_one(IndexGrid).focus()


def test_main_screen(snap_compare):
    assert snap(snap_compare, choose("render-frames"))


def test_job_detail_indexed(snap_compare):
    assert snap(
        snap_compare, choose("render-frames"), "enter", focus_grid, "right", "right", "right"
    )


def test_job_detail_100k_indexes(snap_compare):
    assert snap(snap_compare, choose("param-sweep-100k"), "enter")


def test_job_detail_backing_off(snap_compare):
    assert snap(snap_compare, choose("flaky-import"), "enter")


def test_job_detail_pods_tab(snap_compare):
    assert snap(snap_compare, choose("flaky-import"), "enter", "2")


def test_cronjob_detail(snap_compare):
    assert snap(snap_compare, choose("db-backup", "cronjobs"), "enter")


def test_logs(snap_compare):
    kube = FakeKube()
    app = make_app(kube=kube)

    async def lines(pilot, app) -> None:
        pod = app.cache.pods_of(app.screen.query_one("#jobs").selected_uid)[0]
        kube.logs.append(
            pod["metadata"]["name"],
            *[f"epoch {i} loss={1 / (i + 1):.3f} lr=0.001" for i in range(30)],
            "\x1b[31mERROR\x1b[0m [bold]not markup[/bold]",
        )

    assert snap(snap_compare, choose("train-model"), lines, "l", app=app)


def test_help(snap_compare):
    assert snap(snap_compare, choose("etl-daily"), "question_mark")


def test_suspend_confirmation(snap_compare):
    assert snap(snap_compare, choose("param-sweep-100k"), "s")


def test_delete_preview(snap_compare):
    assert snap(snap_compare, choose("render-frames"), "D", "enter")


def test_yaml(snap_compare):
    assert snap(snap_compare, choose("etl-daily"), "y")
