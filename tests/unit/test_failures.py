"""A bug in one screen or key does not end the app (issue 19): the screen shows what it
could, a notification says in one sentence what failed and where the traceback is, and the
rest of the app keeps working."""

from __future__ import annotations

import asyncio
import copy

import pytest
from fixtures.tui_fakes import make_app, settle

from kubectl_batch.tui import failures
from kubectl_batch.tui.screens.cronjob_detail import CronJobDetailScreen
from kubectl_batch.tui.screens.job_detail import JobDetailScreen
from kubectl_batch.tui.screens.main import MainScreen
from kubectl_batch.tui.widgets.live_table import LiveTable


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    return tmp_path


def boom(*args, **kwargs):
    raise RuntimeError("boom: an object shape nobody foresaw")


def notified(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def the_app_still_works(pilot, app) -> None:
    """Back on the main screen, a new Job in the cluster still reaches its table."""
    while not isinstance(app.screen, MainScreen):
        await pilot.press("escape")
        await pilot.pause()
    job = copy.deepcopy(app.cache.jobs()[0])
    job["metadata"].update(uid="after-the-failure", name="after-the-failure")
    app.cache.put("Job", job)
    await settle(pilot, app)
    assert "after-the-failure" in app.screen.query_one("#jobs", LiveTable).rows_by_uid


@pytest.mark.asyncio
async def test_a_screen_failing_to_show_is_contained_and_logged(state_dir, monkeypatch):
    monkeypatch.setattr(JobDetailScreen, "show", boom)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("enter")  # open the selected Job
        await pilot.pause(0.3)
        assert isinstance(app.screen, JobDetailScreen)
        log = state_dir / "kubectl-batch" / "errors.log"
        assert app.failures == [
            "Showing the JobDetailScreen failed (RuntimeError: boom: an object shape nobody "
            f"foresaw); the traceback is in {log}. The rest of the app keeps working."
        ]
        assert app.failures[0] in notified(app)
        # Failing again on the next refresh is not told again.
        app.cache.put("Job", copy.deepcopy(app.cache.jobs()[0]))
        app.poke()
        await pilot.pause(0.3)
        assert len(app.failures) == 1 and notified(app).count(app.failures[0]) == 1
        text = log.read_text()
        assert "Traceback (most recent call last)" in text and "RuntimeError: boom" in text
        await the_app_still_works(pilot, app)
    assert app.return_code in (None, 0)


@pytest.mark.asyncio
async def test_a_failing_key_is_contained(state_dir, monkeypatch):
    monkeypatch.setattr(MainScreen, "action_yaml", boom)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("y")
        await pilot.pause()
        assert len(app.failures) == 1 and app.failures[0].startswith("The 'yaml' key failed")
        await the_app_still_works(pilot, app)


@pytest.mark.asyncio
async def test_a_screen_failing_to_compose_is_contained(state_dir, monkeypatch):
    monkeypatch.setattr(CronJobDetailScreen, "compose", boom)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        cronjob = app.cache.cronjobs()[0]["metadata"]["uid"]
        app.push_screen(CronJobDetailScreen(cronjob))
        await asyncio.sleep(0.5)  # (Pilot would wait for the broken screen's messages)
        assert len(app.failures) == 1
        assert "CronJobDetailScreen failed (RuntimeError" in app.failures[0]
        assert isinstance(app.screen, MainScreen)  # the broken screen was left
        await the_app_still_works(pilot, app)


def test_the_log_lives_in_the_state_directory_and_stays_bounded(tmp_path):
    assert failures.log_path({"HOME": "/home/jane"}) == (
        failures.Path("/home/jane/.local/state/kubectl-batch/errors.log")
    )
    path = tmp_path / "errors.log"
    path.write_bytes(b"x" * (failures.MAX_LOG_BYTES + 10))
    try:
        boom()
    except RuntimeError as exc:
        assert failures.record("Testing", exc, path) == path
    assert path.stat().st_size < failures.MAX_LOG_BYTES
    assert path.read_text().rstrip().endswith("RuntimeError: boom: an object shape nobody foresaw")
