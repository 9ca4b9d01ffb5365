"""No screen may bring the app down (issue 19): every screen, for every Job and CronJob of
the recorded shapes (tests/unit/fixtures/shapes.json: what benchmarks/dataset.py generates,
recorded from the test cluster, plus cluster.json), at 80x24 and 200x50.

For each object: its detail screen (a Job's three tabs, and the index grid moved to several
indexes), its logs, YAML, the help, and every dialog its keys open. Nothing may raise, no
failure may have been contained, and each screen must show the object's name."""

from __future__ import annotations

import json

import pytest
from fixtures.tui_fakes import HERE, make_app, recorded, settle

from kubectl_batch.tui.screens.cronjob_detail import CronJobDetailScreen
from kubectl_batch.tui.screens.job_detail import JobDetailScreen
from kubectl_batch.tui.screens.main import MainScreen
from kubectl_batch.tui.widgets.index_grid import IndexGrid

SIZES = [(80, 24), (200, 50)]


def shapes() -> dict:
    data = json.loads((HERE / "shapes.json").read_text())
    cluster = recorded()
    for key in ("jobs", "cronjobs", "pods", "events"):
        data[key] = data[key] + cluster[key]
    return data


def screen_text(app) -> str:
    return "\n".join(
        "".join(segment.text for segment in line) for line in app.screen._compositor.render_strips()
    )


async def back_to(pilot, app, screen_type) -> None:
    for _ in range(4):
        if isinstance(app.screen, screen_type):
            return
        await pilot.press("escape")
        await pilot.pause()
    assert isinstance(app.screen, screen_type), app.screen


async def keys_and_back(pilot, app, steps: tuple[tuple[str, ...], ...], home) -> None:
    """Each step's keys open what they open (a dialog, logs, YAML, help); then back."""
    for keys in steps:
        await pilot.press(*keys)
        await pilot.pause()
        await back_to(pilot, app, home)


# l logs, y YAML, s suspend/resume, r retry/rerun, t trigger, D delete by scope, then its
# preview (enter), ? help: what applies to the object opens, the rest is greyed out.
JOB_KEYS = (("l",), ("y",), ("s",), ("r",), ("D",), ("D", "enter"), ("?",))
CRONJOB_KEYS = (("y",), ("s",), ("t",), ("D",), ("D", "enter"), ("?",))


def names(items: list[dict]) -> list[tuple[str, str]]:
    return [(o["metadata"]["namespace"], o["metadata"]["uid"]) for o in items]


def job_shape(job: dict) -> tuple:
    spec, status = job["spec"], job.get("status") or {}
    return (
        spec.get("completionMode"),
        tuple(sorted(c["type"] for c in status.get("conditions") or () if c["status"] == "True")),
        bool(status.get("failedIndexes")),
        bool(status.get("active")),
        bool(spec.get("suspend")),
        bool(job["metadata"].get("ownerReferences")),
    )


def cronjob_shape(cronjob: dict) -> tuple:
    spec, status = cronjob["spec"], cronjob.get("status") or {}
    return (
        bool(spec.get("suspend")),
        "timeZone" in spec,
        "startingDeadlineSeconds" in spec,
        bool(status.get("active")),
    )


def one_of_each(items: list[dict], shape) -> set[str]:
    firsts: dict[tuple, str] = {}
    for item in items:
        firsts.setdefault(shape(item), item["metadata"]["uid"])
    return set(firsts.values())


async def show_tab(pilot, detail, tab: str) -> None:
    detail.action_tab(tab)
    await pilot.pause()


async def move_grid(pilot, grid: IndexGrid) -> None:
    """The grid's cursor to several indexes (first, next, a row down, last), each shown."""
    for move in (
        lambda: grid.action_jump(0),
        lambda: grid.action_move(1),
        lambda: grid.action_move_row(1),
        lambda: grid.action_jump(-1),
    ):
        move()
        await pilot.pause()


async def shown(pilot, app, screen, uid: str) -> None:
    """Let ``screen`` show the object ``uid`` (the refresher builds, the screen shows)."""
    screen.uid = uid
    app.poke()
    for _ in range(200):
        await pilot.pause()
        model = screen.model
        obj = getattr(model, "job", None) or getattr(model, "cronjob", None)
        if obj is not None and obj["metadata"]["uid"] == uid:
            return
    raise AssertionError(f"{uid} never shown")


@pytest.mark.asyncio
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_screen_of_every_job_and_cronjob_opens(size):
    """Every object in its detail screen (a Job's index grid moved to several indexes);
    one object of each shape opened as a user does, with its three tabs, logs, YAML, help
    and every dialog its keys open."""
    data = shapes()
    app = make_app(data, namespace=None)
    job_keys = one_of_each(data["jobs"], job_shape)
    cronjob_keys = one_of_each(data["cronjobs"], cronjob_shape)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        for screen_type, items, keys, wanted in (
            (JobDetailScreen, data["jobs"], JOB_KEYS, job_keys),
            (CronJobDetailScreen, data["cronjobs"], CRONJOB_KEYS, cronjob_keys),
        ):
            # Every object, one after the other, in one detail screen.
            detail = screen_type(items[0]["metadata"]["uid"])
            app.push_screen(detail)
            await settle(pilot, app)
            for item in items:
                await shown(pilot, app, detail, item["metadata"]["uid"])
                grids = detail.query(IndexGrid)
                if grids and item["spec"].get("completionMode") == "Indexed":
                    await move_grid(pilot, grids.first())
                name = item["metadata"]["name"]
                assert name[: size[0] // 3] in screen_text(app), name
            await back_to(pilot, app, MainScreen)
            # One of each shape, opened anew, every tab and key.
            for item in items:
                uid = item["metadata"]["uid"]
                if uid not in wanted:
                    continue
                app.push_screen(screen_type(uid))
                await settle(pilot, app)
                if screen_type is JobDetailScreen:
                    for tab in ("pods", "events", "overview"):
                        await show_tab(pilot, app.screen, tab)
                await keys_and_back(pilot, app, keys, screen_type)
                await back_to(pilot, app, MainScreen)
        assert app.failures == []
    assert app.return_code in (None, 0)


@pytest.mark.asyncio
async def test_a_failed_indexed_job_with_a_long_failed_index_list_opens():
    """The crash of issue 19: more failed-index ranges than the line holds."""
    data = shapes()
    job = max(data["jobs"], key=lambda j: len(j["status"].get("failedIndexes") or ""))
    assert len(job["status"]["failedIndexes"]) > 200
    app = make_app(data, namespace=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        app.push_screen(JobDetailScreen(job["metadata"]["uid"]))
        await settle(pilot, app)
        assert " ranges)" in screen_text(app)
        assert app.failures == []
