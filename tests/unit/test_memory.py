"""Memory stays flat under churn (issue 22): a long-running app on a changing cluster keeps
only what is on screen and in the cluster.

The main screen is driven through thousands of row additions and removals over the
recorded objects; the live objects of our row types and of Textual's footer keys, and the
traced memory, must come back to a bound. The cache forgets what belonged to deleted
objects (their pods' revision, their Events, Events arriving late)."""

from __future__ import annotations

import copy
import gc
import tracemalloc
import weakref

import pytest
from fixtures.tui_fakes import make_app, recorded, settle
from textual._styles_cache import StylesCache
from textual.color import Color
from textual.widgets import DataTable
from textual.widgets._footer import FooterKey

from kubectl_batch.kube.cache import MAX_EVENTS_PER_OBJECT, ClusterCache
from kubectl_batch.kube.resources import ALL, bulk_decoding
from kubectl_batch.tui import textual_fixes  # noqa: F401 - what the app imports
from kubectl_batch.tui.present import JobRow
from kubectl_batch.tui.screens.job_detail import JobDetailScreen
from kubectl_batch.tui.screens.main import MainScreen
from kubectl_batch.tui.widgets.footer import prune_dead_watchers
from kubectl_batch.tui.widgets.live_table import KEPT_CELLS_AT_LEAST, SCREENS_KEPT, LiveTable

ROUNDS = 120
PER_ROUND = 10  # Jobs added and as many removed each round: 1,200 of each


def _alive(cls: type) -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, cls))


def _drop_render_caches(app) -> None:
    """Empty the tables' bounded render caches (they fill up to their size, by design),
    so that what is left to compare is what the app keeps."""
    for table in app.screen.query(DataTable):
        table._clear_caches()
    gc.collect()


def _clone(job: dict, i: int) -> dict:
    job = copy.deepcopy(job)
    meta = job["metadata"]
    meta["uid"], meta["name"] = f"churn-uid-{i}", f"churn-{i}"
    meta["resourceVersion"] = str(900_000 + i)
    return job


@pytest.mark.asyncio
async def test_churn_leaves_no_rows_footer_keys_or_memory_behind():
    data = recorded()
    app = make_app(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        cache = app.cache
        template = next(j for j in cache.jobs() if j["metadata"]["name"] == "etl-daily")
        live: list[str] = []
        made = 0

        async def churn(rounds: int) -> None:
            nonlocal made
            for _ in range(rounds):
                for _ in range(PER_ROUND):
                    job = _clone(template, made)
                    cache.put("Job", job)
                    live.append(job["metadata"]["uid"])
                    made += 1
                while len(live) > 2 * PER_ROUND:
                    cache.delete("Job", live.pop(0))
                app.clock.advance(3)
                await settle(pilot, app)

        await churn(20)  # warm-up
        tracemalloc.start()
        try:
            _drop_render_caches(app)
            before = tracemalloc.take_snapshot()
            await churn(ROUNDS)
            _drop_render_caches(app)
            after = tracemalloc.take_snapshot()
        finally:
            tracemalloc.stop()
        grown = sum(s.size_diff for s in after.compare_to(before, "filename"))

        rows_shown = len(cache.jobs())
        keys_shown = len(app.screen.query(FooterKey))
        assert rows_shown == len(data["jobs"]) + 2 * PER_ROUND
        # Rows: the table's, the builder's and the sorter's are the same objects.
        assert _alive(JobRow) <= rows_shown + PER_ROUND
        # Every rebuild of the footer used to leave its old keys alive (textual#6666).
        assert _alive(FooterKey) <= 2 * keys_shown
        assert grown < 2_500_000, f"traced memory grew by {grown:,} bytes"


@pytest.mark.asyncio
async def test_the_tables_keep_what_they_rendered_for_a_few_screens_of_themselves():
    """A fixed 4,096 rendered cells a table took an hour of churn to fill with the
    names and times of Jobs long gone, which a soak read as memory growing ~10 MB an hour:
    they are kept for SCREENS_KEPT screens of the table, fitted again on a resize."""
    data = recorded()
    app = make_app(data)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        cache = app.cache
        table = app.screen.query_one("#jobs", LiveTable)
        template = next(j for j in cache.jobs() if j["metadata"]["name"] == "etl-daily")
        live: list[str] = []

        def bound() -> int:
            screen = SCREENS_KEPT * table.size.height * len(table.columns_spec)
            return max(KEPT_CELLS_AT_LEAST, screen)

        for made in range(600):
            job = _clone(template, made)  # the newest Job: on top of the table, on screen
            job["metadata"]["creationTimestamp"] = app.clock().strftime("%Y-%m-%dT%H:%M:%SZ")
            cache.put("Job", job)
            live.append(job["metadata"]["uid"])
            while len(live) > 20:
                cache.delete("Job", live.pop(0))
            if made % 3 == 2:
                app.clock.advance(3)
                await settle(pilot, app)
        assert any(r.startswith("churn-") for r in table.visible_uids())
        kept = len(table._rendered)
        assert bound() // 2 < kept <= bound(), (kept, bound())

        await pilot.resize_terminal(80, 24)
        await settle(pilot, app)
        assert len(table._rendered) <= bound() < kept


@pytest.mark.asyncio
async def test_the_footer_drops_the_watchers_of_keys_it_replaced():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        footer = app.screen.query_one("KeyFooter")
        for _ in range(5):
            footer._composed = None  # as if the keys had changed: the footer rebuilds them
            app.screen.refresh_bindings()
            await pilot.pause()
            await pilot.pause()
        watchers = getattr(footer, "__watchers", {}).get("compact", [])
        assert 0 < len(watchers) <= len(app.screen.query(FooterKey))
        assert prune_dead_watchers(footer) == 0


@pytest.mark.asyncio
async def test_a_refresh_of_the_bindings_that_changes_no_key_keeps_the_footer():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        keys = list(app.screen.query(FooterKey))
        for _ in range(5):
            app.screen.refresh_bindings()  # e.g. another row selected, the same keys
            await pilot.pause()
            await pilot.pause()
        assert list(app.screen.query(FooterKey)) == keys
        # A key that changes does rebuild it.
        app.screen.set_focus(None)
        await pilot.pause()
        await pilot.pause()
        assert list(app.screen.query(FooterKey)) != keys


def test_a_gone_widgets_styles_cache_is_freed():
    """Textual's StylesCache.get_inner_outer cached its results by instance, keeping every
    widget's rendered lines for 1,024 calls after the widget went (textual#6665)."""
    styles = StylesCache()
    gone = weakref.ref(styles)
    inner, outer = styles.get_inner_outer(Color(1, 2, 3), Color(4, 5, 6, 0.5))
    assert inner.background == Color(1, 2, 3) + Color(4, 5, 6, 0.5)
    assert outer.background == Color(1, 2, 3)
    del styles
    gc.collect()
    assert gone() is None


@pytest.mark.asyncio
async def test_a_closed_detail_screen_leaves_no_table_behind():
    """DataTable's cell styles were one lru_cache for every table, keyed by the table: it
    kept a closed screen's tables (and all their rows) alive."""
    data = recorded()
    app = make_app(data)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        tables = weakref.WeakSet()
        for job in data["jobs"][:4]:
            detail = JobDetailScreen(job["metadata"]["uid"])
            app.push_screen(detail)
            await settle(pilot, app)
            tables.update(detail.query(DataTable))
            app.pop_screen()
            await settle(pilot, app)
            del detail
        assert isinstance(app.screen, MainScreen)
        assert tables  # (the detail screens had tables)
        gc.collect()
        assert len(tables) == 0


def _cache_with(data: dict) -> ClusterCache:
    cache = ClusterCache(client=None, namespace="batch-demo", resources=ALL)  # type: ignore[arg-type]
    for kind, key in (("Job", "jobs"), ("Pod", "pods"), ("Event", "events")):
        cache._replace(kind, copy.deepcopy(data[key]))
    return cache


def test_deleting_a_job_and_its_pods_forgets_their_events_and_revisions():
    data = recorded()
    cache = _cache_with(data)
    job = next(j for j in data["jobs"] if j["metadata"]["name"] == "flaky-import")
    uid = job["metadata"]["uid"]
    pods = cache.pods_of(uid)
    assert pods and cache.events_for(uid) and cache.pods_revision(uid)
    pod_events = [e for p in pods for e in cache.events_for(p["metadata"]["uid"])]
    assert pod_events
    events_before = len(cache.objects("Event"))

    cache._apply("Job", "DELETED", job)
    for pod in pods:
        cache._apply("Pod", "DELETED", pod)

    assert cache.events_for(uid) == []
    assert all(cache.events_for(p["metadata"]["uid"]) == [] for p in pods)
    assert uid not in cache._pods_changed and uid not in cache._pods_by_job
    left = len(cache.objects("Event"))
    assert left == events_before - len(pod_events) - len(
        [e for e in data["events"] if e["involvedObject"].get("uid") == uid]
    )
    # An Event about the deleted Job that arrives late is not kept.
    late = copy.deepcopy(next(e for e in data["events"] if e["involvedObject"]["uid"] == uid))
    late["metadata"]["uid"] = "late-event"
    cache._apply("Event", "ADDED", late)
    assert cache.events_for(uid) == [] and len(cache.objects("Event")) == left
    # So is one in a re-list.
    cache._replace("Event", [*cache.objects("Event"), late])
    assert len(cache.objects("Event")) == left


def test_a_job_whose_pods_all_went_changes_its_pods_revision():
    data = recorded()
    cache = _cache_with(data)
    job = next(j for j in data["jobs"] if j["metadata"]["name"] == "etl-daily")
    uid = job["metadata"]["uid"]
    seen = cache.pods_revision(uid)
    for pod in cache.pods_of(uid):
        cache._apply("Pod", "DELETED", pod)
    assert cache.pods_of(uid) == [] and cache.pods_revision(uid) != seen


class _Node:
    pass


def test_a_list_after_the_first_freezes_no_garbage():
    """The objects alive when a LIST ends are frozen (kube.resources.bulk_decoding): a
    re-list must not freeze what was already garbage in a cycle, or it is never freed."""
    assert gc.isenabled()
    gc.freeze()  # as after the first LISTs
    try:
        node = _Node()
        node.me = node  # a cycle: only the collector frees it
        gone = weakref.ref(node)
        del node
        with bulk_decoding():  # a re-list
            pass
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()


def test_the_events_kept_about_one_object_are_its_newest_and_no_others():
    """A CronJob firing every minute gets three Events a minute, which the API server keeps
    for an hour: past MAX_EVENTS_PER_OBJECT the oldest go from the cache, not only from
    what the views read."""
    data = recorded()
    cache = _cache_with(data)
    template = next(e for e in data["events"] if e["involvedObject"].get("kind") == "CronJob")
    target = template["involvedObject"]["uid"]
    others = len(cache.objects("Event")) - len(cache.events_for(target))
    for i in range(3 * MAX_EVENTS_PER_OBJECT):
        event = copy.deepcopy(template)
        event["metadata"]["uid"] = f"fired-{i}"
        event["lastTimestamp"] = f"2026-12-07T{i // 60:02d}:{i % 60:02d}:00Z"
        cache._apply("Event", "ADDED", event)
    kept = cache.events_for(target)
    assert [e["metadata"]["uid"] for e in kept] == [
        f"fired-{i}" for i in range(2 * MAX_EVENTS_PER_OBJECT, 3 * MAX_EVENTS_PER_OBJECT)
    ]
    assert len(cache.objects("Event")) == others + MAX_EVENTS_PER_OBJECT


def test_a_warning_pushed_out_by_newer_events_moves_the_jobs_warnings_revision():
    """What domain/diagnosis.py reads changes when a Warning Event is dropped for newer
    ones: the rows that cache a diagnosis by the revision must see it."""
    data = recorded()
    cache = _cache_with(data)
    warning = next(
        e
        for e in data["events"]
        if e.get("type") == "Warning" and e["involvedObject"].get("kind") == "Job"
    )
    job_uid = warning["involvedObject"]["uid"]
    before = cache.warnings_revision(job_uid)
    for i in range(MAX_EVENTS_PER_OBJECT):  # Normal Events alone: they move no revision
        event = copy.deepcopy(warning)
        event.update(type="Normal", reason="Noted", lastTimestamp=f"2099-01-01T00:{i:02d}:00Z")
        event["metadata"]["uid"] = f"normal-{i}"
        cache._apply("Event", "ADDED", event)
    assert all(e.get("type") != "Warning" for e in cache.events_for(job_uid))
    assert cache.warnings_revision(job_uid) != before
