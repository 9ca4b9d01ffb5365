"""Pure pieces of the TUI: untrusted text, keymap parsing, the index grid's buckets, cells."""

from __future__ import annotations

import pytest
from builders import NOW, ago, job, pod
from fixtures.tui_fakes import FakeKube, make_app, settle
from test_tui_main import SIZE, scope_text

from kubectl_batch.domain.clock import frozen_clock
from kubectl_batch.domain.index_progress import IndexProgress, IndexState
from kubectl_batch.tui.keymap import KEYS, bindings, parse_keymap
from kubectl_batch.tui.present import bar, job_row
from kubectl_batch.tui.text import clean, literal
from kubectl_batch.tui.widgets.index_grid import bucket_states, layout


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("plain name", "plain name"),
        ("[bold]x[/bold]", "[bold]x[/bold]"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("a\x1b]0;title\x07b", "ab"),
        ("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),
        ("bell\x07 bs\x08 nul\x00 del\x7f c1\x9b2J end", "bell bs nul del c1 end"),
        ("tab\tkept", "tab\tkept"),
        ("line\nbreak\rreturn", "linebreakreturn"),
    ],
)
def test_untrusted_text_loses_control_sequences_and_keeps_markup_literal(raw, shown):
    assert clean(raw) == shown
    text = literal(raw)
    assert text.plain == shown and not text.spans


def test_keymap_rejects_bad_values():
    keymap, warnings = parse_keymap({"keys": {"delete": ["ctrl+d", "D"], "logs": 3}})
    assert keymap == {"delete": "ctrl+d,D"}
    assert warnings == ["keymap: keys of 'logs' must be a string"]


def test_every_binding_has_an_id():
    for binding in bindings(*KEYS):
        assert binding.id in KEYS


def test_grid_is_exact_when_it_fits_and_bucketed_otherwise():
    exact = layout(24, 80)
    assert (exact.cells, exact.size, exact.per_row) == (24, 1, 80)
    big = layout(100_000, 80, max_rows=12)
    assert big.size == 105 and big.cells <= 80 * 12 and big.cells * big.size >= 100_000


def test_one_failure_in_a_hundred_thousand_stays_visible():
    j = job(
        "sweep",
        completions=100_000,
        parallelism=1,
        indexed=True,
        backoff_limit_per_index=0,
        completed_indexes="0-49999,50001-99999",
        failed_indexes="50000",
        start=ago(minutes=9),
    )
    progress = IndexProgress(j, [], frozen_clock(NOW))
    lay = layout(100_000, 80)
    cells = bucket_states(progress, lay)
    failed = [i for i, s in enumerate(cells) if s is IndexState.FAILED]
    assert failed == [50_000 // lay.size]
    assert cells.count(IndexState.SUCCEEDED) == len(cells) - 1


def test_progress_bar_shows_a_few_failures_among_many():
    text = bar([(99_990, "green"), (10, "red")], 100_000, 8)
    assert text.plain == "████████"
    assert [s.style for s in text.spans] == ["green", "red"]


def test_backoff_cell_counts_down_from_the_stored_time():
    j = job("flaky", start=ago(minutes=2), failed=2, active=0)
    pods = [
        pod(j, phase="Failed", finished=ago(seconds=15)),
        pod(j, phase="Failed", finished=ago(seconds=5), created=ago(seconds=8)),
    ]
    row = job_row(j, pods, frozen_clock(NOW))
    assert row.backoff(NOW).plain == "retry in 15s"  # 2 failures: 20 s after the last one
    assert row.backoff(NOW + (row.backoff_until - NOW) * 2).plain == "retrying"


@pytest.mark.asyncio
async def test_switch_context_connects_in_a_worker_and_rebuilds_the_scope():
    connected = []

    class Client:
        class config:
            namespace = "default"

    def connect(context):
        connected.append(context)
        return Client()

    app = make_app(kube=FakeKube(), connect=connect, contexts=lambda: ["kwok", "prod-eu"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("c")
        await pilot.pause(0.3)
        await pilot.press("down", "enter")
        for _ in range(50):
            await pilot.pause(0.05)
            if app.scope.context == "prod-eu":
                break
        await settle(pilot, app)
        assert connected == ["prod-eu"]
        assert app.scope.context == "prod-eu" and app.scope.namespace == "default"
        assert "prod-eu · namespace default" in scope_text(app)


def test_cronjob_rows_are_kept_until_their_next_fire_time_or_a_change():
    from datetime import datetime, timedelta, timezone

    from fixtures.tui_fakes import Clock, FakeCache

    from kubectl_batch.tui.screens.main import RowBuilder

    cronjob = {
        "metadata": {
            "name": "hourly",
            "namespace": "etl",
            "uid": "cj-1",
            "resourceVersion": "7",
            "creationTimestamp": "2026-03-27T08:30:00Z",
        },
        "spec": {"schedule": "0 * * * *"},
        "status": {"lastScheduleTime": "2026-03-27T09:00:00Z"},
    }
    clock = Clock(datetime(2026, 3, 27, 9, 10, tzinfo=timezone.utc))
    cache = FakeCache({"cronjobs": [cronjob]}, clock=clock)
    sorts = {"jobs": ("name", False), "cronjobs": ("name", False)}
    builder = RowBuilder()

    def row():
        return builder.build(cache, clock, "", sorts).cronjobs[0]

    first = row()
    assert row() is first  # nothing changed: the same row, nothing re-rendered
    clock.advance(timedelta(minutes=50).total_seconds())  # 10:00: the next run is due
    due = row()
    assert due is not first and due.outlook.state.value == "due"
    changed = dict(
        cronjob,
        metadata=dict(cronjob["metadata"], resourceVersion="8"),
        spec={"schedule": "0 * * * *", "suspend": True},
    )
    cache._store["CronJob"]["cj-1"] = changed
    assert row().outlook.state.value == "suspended"
