"""Snapshots of every screen (fixed size, frozen clock, recorded objects); the main and the
detail screens at 80x24, 120x40 and 200x50, where their layout differs.

Update after an intended change of the UI with ``pytest --snapshot-update``.
"""

from __future__ import annotations

import pytest
from fixtures.tui_fakes import FakeKube, make_app, settle
from test_tui_main import SIZE, select

from kubectl_batch.tui.widgets.index_grid import IndexGrid

SIZES = pytest.mark.parametrize(
    "size", [(80, 24), (120, 40), (200, 50)], ids=lambda s: f"{s[0]}x{s[1]}"
)


def snap(snap_compare, *steps, app=None, size=SIZE):
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

    return snap_compare(app, terminal_size=size, run_before=run_before)


def choose(name: str, table: str = "jobs"):
    async def step(pilot, app) -> None:
        select(app, name, table)
        await pilot.pause()

    return step


async def focus_grid(pilot, app) -> None:
    app.screen.query_one(IndexGrid).focus()


@SIZES
def test_main_screen(snap_compare, size):
    assert snap(snap_compare, choose("render-frames"), size=size)


def test_main_screen_all_namespaces_wide(snap_compare):
    assert snap(snap_compare, choose("render-frames"), "w", app=make_app(namespace=None))


@SIZES
def test_job_detail_indexed(snap_compare, size):
    assert snap(
        snap_compare,
        choose("render-frames"),
        "enter",
        focus_grid,
        "right",
        "right",
        "right",
        size=size,
    )


def test_job_detail_100k_indexes(snap_compare):
    assert snap(snap_compare, choose("param-sweep-100k"), "enter")


def test_job_detail_backing_off(snap_compare):
    assert snap(snap_compare, choose("flaky-import"), "enter")


@SIZES
def test_job_detail_pods_tab(snap_compare, size):
    assert snap(snap_compare, choose("flaky-import"), "enter", "2", size=size)


@SIZES
def test_cronjob_detail(snap_compare, size):
    assert snap(snap_compare, choose("db-backup", "cronjobs"), "enter", size=size)


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


def test_help_at_80x24_wraps_what_does_not_fit(snap_compare):
    assert snap(snap_compare, choose("etl-daily"), "question_mark", size=(80, 24))


def test_suspend_confirmation(snap_compare):
    assert snap(snap_compare, choose("param-sweep-100k"), "s")


def test_delete_preview(snap_compare):
    assert snap(snap_compare, choose("render-frames"), "D", "enter")


def test_delete_preview_at_80x24(snap_compare):
    assert snap(snap_compare, choose("render-frames"), "D", "enter", size=(80, 24))


def test_yaml(snap_compare):
    assert snap(snap_compare, choose("etl-daily"), "y")


def test_main_screen_no_color(snap_compare, monkeypatch):
    # NO_COLOR (no-color.org): Textual draws the whole UI in monochrome; the states stay
    # apart by their words and symbols.
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap(snap_compare, choose("render-frames"), app=make_app())


def test_job_detail_no_color(snap_compare, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap(snap_compare, choose("render-frames"), "enter", app=make_app())


def test_main_screen_light_theme(snap_compare):
    assert snap(snap_compare, choose("render-frames"), app=make_app(theme="textual-light"))


@pytest.fixture
def no_remembered_group(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))


@pytest.mark.parametrize("size", [(80, 24), (160, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_group_view(snap_compare, size, no_remembered_group):
    # G, then the most common label key of the recorded Jobs.
    assert snap(snap_compare, "G", "enter", size=size)
