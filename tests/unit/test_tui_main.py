"""The main screen, driven with Pilot over recorded objects and a frozen clock."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from fixtures.tui_fakes import Clock, FakeKube, make_app, recorded, settle
from rich.text import Text

from kubectl_batch.domain.timeutil import parse_time
from kubectl_batch.tui.keymap import load_keymap
from kubectl_batch.tui.screens.main import MainScreen
from kubectl_batch.tui.widgets.live_table import LiveTable
from kubectl_batch.tui.widgets.scope_bar import ScopeBar

pytestmark = pytest.mark.asyncio
SIZE = (140, 40)


def table(app, name: str) -> LiveTable:
    return app.screen.query_one(f"#{name}", LiveTable)


def cells(app, name: str) -> dict[str, dict[str, str]]:
    """What a table shows: row name -> column key -> plain text."""
    t = table(app, name)
    out = {}
    for uid in t.order:
        row = {}
        for column in t.columns_spec:
            value = t.get_cell(uid, column.key)
            row[column.key] = value.plain if isinstance(value, Text) else str(value)
        out[row["name"]] = row
    return out


def select(app, name: str, table_name: str = "jobs") -> None:
    t = table(app, table_name)
    t.focus()
    for uid, row in t.rows_by_uid.items():
        if row.name == name:
            t.select_uid(uid)
            return
    raise AssertionError(f"no row {name}")


def job_named(app, name: str) -> dict:
    return next(j for j in app.cache.jobs() if j["metadata"]["name"] == name)


async def until(pilot, predicate, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    assert predicate()


def scope_text(app) -> str:
    return str(app.screen.query_one(ScopeBar).render())


async def test_lists_the_cronjobs_and_jobs_of_the_namespace():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        jobs = cells(app, "jobs")
        assert len(jobs) == 12
        assert jobs["render-frames"]["status"] == "Failed failed indexes"
        assert jobs["render-frames"]["completions"].startswith("22/24")
        assert jobs["flaky-import"]["why"] == "retry in 2s"
        assert jobs["flaky-import"]["pods"] == "0/0/4"
        assert jobs["render-frames-retry"]["origin"] == "retry of render-frames (indexes 3,7)"
        assert jobs["db-backup-29922056"]["origin"] == "cronjob/db-backup"
        assert jobs["sweep-paused"]["status"] == "Suspended"
        assert jobs["etl-daily"]["duration"] == "5s"
        crons = cells(app, "cronjobs")
        assert crons["db-backup"]["next"] == "in 26s"
        assert crons["db-backup"]["recent"] == "✗✗"
        assert crons["report-hourly"]["recent"] == "✓✓"
        assert crons["report-hourly"]["next"] == "suspended"
        assert crons["report-hourly"]["timezone"] == "Europe/Berlin"
        assert "NAMESPACE" not in [c.label for c in table(app, "jobs").columns_spec]
        assert "● connected" in scope_text(app)


async def test_a_job_changes_in_place_without_rebuilding_the_table(monkeypatch):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        t = table(app, "jobs")
        cleared = []
        monkeypatch.setattr(t, "clear", lambda *a, **k: cleared.append(a))
        select(app, "train-model")
        order = t.order
        job = copy.deepcopy(job_named(app, "train-model"))
        job["metadata"]["resourceVersion"] = "999999"
        job["status"].update(active=0, ready=0, succeeded=1, completionTime=app.clock().isoformat())
        job["status"]["conditions"] = [
            {"type": "Complete", "status": "True", "reason": "CompletionsReached"}
        ]
        app.cache.put("Job", job)
        await settle(pilot, app)
        row = cells(app, "jobs")["train-model"]
        assert row["status"] == "Complete"
        assert row["completions"].startswith("1/1")
        assert t.order == order  # same rows, same places
        assert t.selected.name == "train-model"  # the cursor stayed on it
        assert cleared == []


async def test_new_and_deleted_jobs_appear_and_disappear():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        new = copy.deepcopy(job_named(app, "etl-daily"))
        new["metadata"].update(name="etl-hourly", uid="new-uid", resourceVersion="1")
        app.cache.put("Job", new)
        app.cache.delete("Job", job_named(app, "oom-crunch")["metadata"]["uid"])
        await settle(pilot, app)
        names = set(cells(app, "jobs"))
        assert "etl-hourly" in names
        assert "oom-crunch" not in names
        assert len(names) == 12


async def test_countdowns_tick_every_second():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.clock.advance(1)
        await pilot.pause(1.2)
        assert cells(app, "jobs")["flaky-import"]["why"] == "retry in 1s"
        assert cells(app, "cronjobs")["db-backup"]["next"] == "in 25s"
        app.clock.advance(5)
        await pilot.pause(1.2)
        assert cells(app, "jobs")["flaky-import"]["why"] == "retrying"


async def test_filter_by_name():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"render", "enter")
        await pilot.pause(0.3)
        await settle(pilot, app)
        assert set(cells(app, "jobs")) == {"render-frames", "render-frames-retry"}
        assert cells(app, "cronjobs") == {}
        title = str(app.screen.query_one("#jobs-title").render())
        assert "2 of 12" in title and "filter: render" in title


async def test_sort_by_column_and_reverse():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        table(app, "jobs").focus()
        screen._sort_by(table(app, "jobs"), "name", False)
        names = sorted(cells(app, "jobs"))
        await until(pilot, lambda: list(cells(app, "jobs")) == names)
        await pilot.press("O")
        await until(pilot, lambda: list(cells(app, "jobs")) == names[::-1])
        assert "NAME ▼" in str(table(app, "jobs").columns["name"].label)


async def test_connection_indicator_shows_reconnecting_since_and_forbidden():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        since = app.clock() - timedelta(seconds=40)
        app.cache.set_state("Pod", "reconnecting", since, "connection refused")
        app.cache.set_state("Event", "forbidden", since, "events is forbidden")
        await settle(pilot, app)
        text = scope_text(app)
        assert f"pods reconnecting since {since.astimezone():%H:%M:%S} (40s)" in text
        assert "events forbidden" in text


async def test_switch_namespace_rebuilds_the_cache_for_the_new_scope():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("n")
        await pilot.pause(0.3)
        choices = [o.id for o in app.screen.query_one("OptionList")._options]
        assert choices == ["", "batch-demo", "default"]
        await pilot.press("home", "enter")  # all namespaces
        await settle(pilot, app)
        assert app.scope.namespace is None
        assert app.caches[0].stopped and app.caches[-1].namespace is None
        assert "NAMESPACE" in [c.label for c in table(app, "jobs").columns_spec]
        assert "all namespaces" in scope_text(app)
        assert len(cells(app, "jobs")) == 12


async def test_label_selector_filters_on_the_server_side():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("L", *"team=data", "enter")
        await settle(pilot, app)
        assert app.caches[-1].selector == "team=data"
        assert set(cells(app, "jobs")) == {"report-hourly-29922055", "report-hourly-29922056"}
        assert "-l team=data" in scope_text(app)


async def test_keys_that_do_not_apply_are_disabled_with_the_reason():
    kube = FakeKube()
    kube.actions.forbid.add(("patch", "jobs"))
    app = make_app(kube=kube)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        select(app, "etl-daily")
        await pilot.pause(0.3)
        screen = app.screen
        reasons = screen.unavailable()
        assert reasons["retry"] == "no failed indexes"
        assert reasons["suspend"] == "the job has finished"
        assert reasons["trigger"] == "only for cronjobs"
        assert screen.check_action("retry", ()) is None
        hint = str(screen.query_one("#hint").render())
        assert "r: cannot retry: no failed indexes" in hint
        assert "s: cannot suspend: the job has finished" in hint
        select(app, "train-model")
        await pilot.pause(0.3)
        assert screen.unavailable()["suspend"] == (
            "forbidden: cannot patch jobs in namespace batch-demo"
        )
        await pilot.press("s")  # disabled: nothing opens
        await pilot.pause()
        assert app.screen is screen
        select(app, "render-frames")
        await pilot.pause()
        assert "retry" not in screen.unavailable()


async def test_help_lists_every_key_of_the_screen():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        select(app, "etl-daily")
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        help_table = app.screen.query_one("#help-keys")
        rows = [[c.plain for c in help_table.get_row_at(i)] for i in range(help_table.row_count)]
        keys = {r[0]: r for r in rows}
        for key in ("enter", "l", "s", "t", "r", "D", "y", "/", "L", "n", "?", "q"):
            assert key in keys, key
        assert keys["r"][2] == "no failed indexes"
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_command_palette_offers_the_same_actions():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        select(app, "train-model")
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Logs", "Suspend", "Delete", "YAML", "Filter", "Namespace", "Help"):
            assert title in titles
        assert "Trigger" not in titles  # disabled for a job


async def test_keymap_from_config_rebinds_keys(tmp_path):
    path = tmp_path / "kubectl-batch" / "keymap.yaml"
    path.parent.mkdir()
    path.write_text("suspend: S\nbogus: x\n")
    keymap, warnings = load_keymap(environ={"XDG_CONFIG_HOME": str(tmp_path)})
    assert keymap == {"suspend": "S"}
    assert warnings == [f"{path}: unknown binding id 'bogus'"]
    app = make_app(keymap=keymap, keymap_warnings=warnings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        select(app, "train-model")
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        await pilot.press("S")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "ConfirmScreen"


@pytest.mark.parametrize("count", [10_000])
async def test_stays_responsive_with_ten_thousand_jobs(count):
    import time

    data = recorded()
    base = data["jobs"][2]  # a finished job
    jobs = []
    for i in range(count):
        job = copy.deepcopy(base)
        job["metadata"].update(name=f"job-{i:05d}", uid=f"uid-{i}", resourceVersion=str(i))
        jobs.append(job)
    clock = Clock(parse_time(data["recordedAt"]))
    app = make_app({"jobs": jobs, "cronjobs": [], "pods": [], "events": []}, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app, timeout=60)
        assert table(app, "jobs").row_count == count
        # A change to one of 10,000 rows: the refresher thread recomputes one row, the UI
        # thread updates one row's cells (both timed on their own, not the polling).
        job = copy.deepcopy(jobs[1234])
        job["metadata"]["resourceVersion"] = "changed"
        job["status"]["conditions"] = [{"type": "Failed", "status": "True", "reason": "X"}]
        job["status"].pop("succeeded", None)
        app.cache.put("Job", job)
        screen = app.screen
        start = time.monotonic()
        model = screen.build(app.cache, app.clock)
        assert time.monotonic() - start < 2.0
        assert list(model.job_table.cells) == ["uid-1234"]
        start = time.monotonic()
        screen.show(model)
        assert time.monotonic() - start < 0.5
        assert table(app, "jobs").get_cell("uid-1234", "status").plain == "Failed x"
        start = time.monotonic()
        screen.tick(app.clock())
        assert time.monotonic() - start < 0.5  # only the visible rows


async def test_once_the_first_tables_are_shown_the_collector_is_quieted():
    import gc

    from kubectl_batch.tui.collector import QUIET_GC_THRESHOLDS

    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's defaults (an earlier app may have changed them)
    app = make_app()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            for _ in range(50):
                if gc.get_threshold() == QUIET_GC_THRESHOLDS:
                    break
                await pilot.pause(0.02)
            assert gc.get_threshold() == QUIET_GC_THRESHOLDS
            assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
