"""The CronJob detail shows the schedule in words and what to watch out for."""

from __future__ import annotations

import pytest
from fixtures.tui_fakes import make_app, recorded, settle
from test_tui_main import SIZE, select

from kubectl_batch.tui.screens.cronjob_detail import CronJobDetailScreen

pytestmark = pytest.mark.asyncio


async def open_cronjob(pilot, app, name: str) -> str:
    await settle(pilot, app)
    select(app, name, "cronjobs")
    await pilot.press("enter")
    await settle(pilot, app)
    await pilot.pause(0.2)
    assert isinstance(app.screen, CronJobDetailScreen)
    return str(app.screen.query_one("#header").render())


async def test_detail_shows_the_description_and_the_warnings():
    data = recorded()
    cronjob = next(c for c in data["cronjobs"] if c["metadata"]["name"] == "db-backup")
    cronjob["spec"]["schedule"] = "0 2 1-7 * 1"  # recorded without spec.timeZone
    app = make_app(data)
    async with app.run_test(size=(200, 50)) as pilot:
        header = " ".join((await open_cronjob(pilot, app, "db-backup")).split())
        # The schedule line names the zone; the sentence under it does not again.
        assert "At 02:00, between day 1 and 7 of the month, or on any Monday" in header
        assert "Monday (UTC" not in header
        assert "warning: both day fields are restricted, so it fires when EITHER matches" in header
        assert "warning: no spec.timeZone: the kube-controller-manager's own zone decides" in header


async def test_detail_of_a_clean_cronjob_has_no_warning():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        header = " ".join((await open_cronjob(pilot, app, "report-hourly")).split())
        assert "Europe/Berlin" in header and "Every minute" in header
        assert "Every minute (Europe/Berlin)" not in header  # said once, on the schedule line
        assert "warning:" not in header
