"""A short soak (issue 22): the real app on the real test cluster while Jobs come and go.

For about two minutes a Job is created every 2.5 s and the oldest deleted once ten are
there (the real Job controller makes their pods, KWOK runs them to completion or failure,
the controllers write Events). After a 30 s warm-up the app must keep what is on screen
and in the cluster, not what went through it: the objects the garbage collector tracks
grow by less than a bound, Textual's footer keys do not pile up (textual#6666: every
bindings refresh used to leave the old keys alive), and the cache holds no Events of
Jobs or pods that are gone. benchmarks/soak.py is the long version, with RSS and CPU.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections import Counter

import pytest
from conftest import job_manifest
from test_tui import SIZE, make_app, until
from textual.widgets import DataTable
from textual.widgets._footer import FooterKey

from kubectl_batch.kube.client import ApiClient, ApiError
from kubectl_batch.kube.config import load
from kubectl_batch.tui.widgets.live_table import LiveTable

pytestmark = pytest.mark.asyncio

WARMUP_S = 30
CHURN_S = 90  # after the warm-up
EVERY_S = 2.5
LIVE_JOBS = 10
EVENT_LAG_S = 10  # the cache may hold an Event of a deleted object this long
GROWTH_BOUND = 0.15  # of the tracked objects after the warm-up (measured: +6 %)


class Churner(threading.Thread):
    """Creates a Job every EVERY_S seconds, deletes the oldest beyond LIVE_JOBS."""

    def __init__(self, client: ApiClient, namespace: str):
        super().__init__(daemon=True)
        self.client = client
        self.path = f"/apis/batch/v1/namespaces/{namespace}/jobs"
        self.live: list[str] = []
        self.made = self.deleted = 0
        self.errors: list[str] = []
        self.stop = threading.Event()

    def create(self) -> None:
        self.made += 1
        name = f"churn-{self.made:04d}"
        # Every fourth one fails (its pod exits 1, no retries), the others succeed in 1 s.
        outcome = "fail" if self.made % 4 == 0 else "succeed"
        body = job_manifest(
            name, backoffLimit=0, annotations={"test.kubectl-batch.io/outcome": outcome}
        )
        self.client.request("POST", self.path, body=body)
        self.live.append(name)

    def delete_oldest(self) -> None:
        name = self.live.pop(0)
        try:
            self.client.request(
                "DELETE", f"{self.path}/{name}", params={"propagationPolicy": "Background"}
            )
        except ApiError as exc:
            if not exc.not_found:
                raise
        self.deleted += 1

    def run(self) -> None:
        next_t = time.monotonic()
        while not self.stop.is_set():
            try:
                self.create()
                while len(self.live) > LIVE_JOBS:
                    self.delete_oldest()
            except Exception as exc:  # noqa: BLE001 - reported by the test
                self.errors.append(repr(exc))
            next_t += EVERY_S
            self.stop.wait(max(0.0, next_t - time.monotonic()))


def tracked_objects(app) -> tuple[int, Counter]:
    """How many objects the cyclic collector tracks (also those the app froze out of its
    sight), and the types of those it sees. The tables' render caches are emptied first:
    they are bounded and fill up to their size by design (as in tests/unit/test_memory.py)."""
    for table in app.screen.query(DataTable):
        table._clear_caches()
    gc.collect()
    seen = gc.get_objects()
    types = Counter(type(o).__qualname__ for o in seen)
    return len(seen) + gc.get_freeze_count(), types


def stale_events(cache) -> dict[str, str]:
    """Event uid -> involved object uid, for Events whose object is not in the cache."""
    live = {o["metadata"]["uid"] for kind in ("Job", "Pod", "CronJob") for o in cache.objects(kind)}
    return {
        e["metadata"]["uid"]: e["involvedObject"].get("uid", "")
        for e in cache.objects("Event")
        if e["involvedObject"].get("uid") not in live
    }


async def gone_within_lag(pilot, cache, what: str) -> None:
    """Every Event now stale is out of the cache within EVENT_LAG_S (unless its object
    has shown up meanwhile: an Event may arrive before the pod it is about)."""
    stale = stale_events(cache)

    def cleared():
        still = stale_events(cache)
        return not (set(stale) & set(still))

    await until(pilot, cleared, timeout=EVENT_LAG_S, what=f"the Events of deleted objects {what}")


async def test_churn_keeps_objects_footer_keys_and_events_bounded(cluster, namespace, kubectl):
    client = ApiClient(load(kubeconfig=str(cluster), namespace=namespace))
    churn = Churner(client, namespace)
    for _ in range(LIVE_JOBS):
        churn.create()
    app = make_app(cluster, namespace)
    async with app.run_test(size=SIZE) as pilot:
        await until(
            pilot,
            lambda: app.screen.query_one("#jobs", LiveTable).row_count >= LIVE_JOBS,
            what="the Jobs on screen",
        )
        churn.start()
        try:
            await asyncio.sleep(WARMUP_S)
            before, types_before = tracked_objects(app)
            made_before = churn.made
            await asyncio.sleep(CHURN_S / 2)
            await gone_within_lag(pilot, app.cache, "in the middle of the churn")
            await asyncio.sleep(CHURN_S / 2)
            after, types_after = tracked_objects(app)
            made = churn.made - made_before
        finally:
            churn.stop.set()
            churn.join(10)
        assert not churn.errors, churn.errors
        assert made >= CHURN_S / EVERY_S * 0.8, f"only {made} Jobs were made"
        # The screen still follows the cluster: the live Jobs and only them.
        names = {j["metadata"]["name"] for j in kubectl.items("jobs")}
        await until(
            pilot,
            lambda: (
                {r.name for r in app.screen.query_one("#jobs", LiveTable).rows_by_uid.values()}
                == names
            ),
            timeout=15,
            what="the table to hold the live Jobs",
        )
        await gone_within_lag(pilot, app.cache, "after the churn")
        # ... and it does hold the Events of the live ones (the check above is not vacuous).
        job_uids = {j["metadata"]["uid"] for j in app.cache.jobs()}
        about_jobs = [
            e for e in app.cache.objects("Event") if e["involvedObject"].get("uid") in job_uids
        ]
        assert about_jobs, "no Event about a live Job in the cache"

        # Count the footer keys frozen out of the collector's sight too (gc.freeze after
        # the first table, and after each LIST): dead ones among them are collected now.
        gc.unfreeze()
        gc.collect()
        alive = sum(1 for o in gc.get_objects() if isinstance(o, FooterKey))
        on_screen = len(app.screen.query(FooterKey))
        growth = (after - before) / before
        types_after.subtract(types_before)
        grew = ", ".join(f"{name} +{n}" for name, n in types_after.most_common(12) if n > 0)
        print(
            f"tracked objects {before} -> {after} ({growth:+.1%}) over {made} Jobs made: {grew}; "
            f"footer keys alive {alive}, on screen {on_screen}"
        )
        assert on_screen > 0 and alive <= 2 * on_screen, (alive, on_screen)
        assert growth < GROWTH_BOUND, (
            f"tracked objects grew {before} -> {after} ({growth:+.1%}); most: {grew}"
        )
