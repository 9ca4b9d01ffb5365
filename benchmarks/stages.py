#!/usr/bin/env python3
"""Where the start-up time and memory of `kubectl batch` go, stage by stage, in one thread
(so cProfile sees everything): LIST each resource, fill the cache, build the main screen's
rows, show them in a headless app. Against a benchmark cluster made by benchmarks/run.py.

    python benchmarks/stages.py --kubeconfig PATH [--profile jobs|pods|build|show|all]
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import gc
import pstats
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--profile", default="", help="stage to profile (cProfile, top 25)")
    parser.add_argument("--tracemalloc", action="store_true")
    opts = parser.parse_args()

    from kubectl_batch.domain.clock import system_clock
    from kubectl_batch.kube.cache import ClusterCache
    from kubectl_batch.kube.client import ApiClient
    from kubectl_batch.kube.config import load
    from kubectl_batch.kube.resources import ALL, list_all

    client = ApiClient(load(kubeconfig=opts.kubeconfig))
    received = [0]
    send = ApiClient._send

    def counting(self, *args, **kwargs):
        response = send(self, *args, **kwargs)
        received[0] += len(response.data or b"") if not kwargs.get("stream") else 0
        return response

    ApiClient._send = counting
    cache = ClusterCache(client, None)
    if opts.tracemalloc:
        tracemalloc.start(5)
    base = rss_mb()
    print(f"rss at start {base:.0f} MB")

    def stage(name: str, fn):
        prof = cProfile.Profile() if opts.profile in (name, "all") else None
        t0 = time.perf_counter()
        if prof:
            prof.enable()
        result = fn()
        if prof:
            prof.disable()
        elapsed = time.perf_counter() - t0
        print(f"{name:>10}: {elapsed:6.2f} s  rss {rss_mb():5.0f} MB")
        if prof:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        return result

    for resource_ in ALL:
        received[0] = 0
        items, _ = stage(resource_.plural, lambda r=resource_: list_all(client, r, None))
        print(f"{'':>10}  {len(items)} items, {received[0] / 1e6:.0f} MB of JSON")
        cache._replace(resource_.kind, items)
        del items
    gc.collect()
    print(f"cache filled: rss {rss_mb():.0f} MB (+{rss_mb() - base:.0f})")
    if opts.tracemalloc:
        snap = tracemalloc.take_snapshot()
        for s in snap.statistics("lineno")[:15]:
            print(s)

    from kubectl_batch.tui.screens.main import RowBuilder

    builder = RowBuilder()
    sorts = {"jobs": ("age", False), "cronjobs": ("name", False)}
    model = stage("build", lambda: builder.build(cache, system_clock, "", sorts))
    stage("rebuild", lambda: builder.build(cache, system_clock, "", sorts))
    print(f"maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

    from textual.app import App

    from kubectl_batch.tui.present import cronjob_columns, job_columns
    from kubectl_batch.tui.widgets.live_table import LiveTable

    class Show(App):
        def compose(self):
            yield LiveTable(id="cronjobs")
            yield LiveTable(id="jobs")

        def on_mount(self):
            self.query_one("#jobs", LiveTable).set_columns(job_columns(True))
            self.query_one("#cronjobs", LiveTable).set_columns(cronjob_columns(True))

            def show():
                now = system_clock()
                self.query_one("#cronjobs", LiveTable).apply(model.cronjobs, now)
                self.query_one("#jobs", LiveTable).apply(model.jobs, now)

            stage("show", show)
            t0 = time.perf_counter()
            jobs = self.query_one("#jobs", LiveTable)

            def all_rows():
                # The table adds rows over several frames: wait for the last one.
                if jobs.row_count < len(model.jobs):
                    return
                timer.stop()
                print(f"{'all rows':>10}: {time.perf_counter() - t0:6.2f} s after show")
                self.call_after_refresh(update)

            timer = self.set_interval(0.005, all_rows)
            changes = []

            def update():
                # One Job changes (as when it completes): rebuild nothing, apply, paint.
                if len(changes) == 5:
                    times = sorted(changes)
                    print(
                        f"{'update':>10}: apply + paint of one changed row, median "
                        f"{times[2] * 1000:.0f} ms (of 5)"
                    )
                    self.exit()
                    return
                i = len(changes) * 7
                row = model.jobs[i]
                status = "Complete" if row.summary.status != "Complete" else "Failed"
                changed = dataclasses.replace(
                    row, summary=dataclasses.replace(row.summary, status=status)
                )
                model.jobs[i] = changed
                t1 = time.perf_counter()
                jobs.apply(model.jobs, system_clock())
                self.call_after_refresh(
                    lambda: (changes.append(time.perf_counter() - t1), self.set_timer(0.05, update))
                )

    Show().run(headless=True, size=(200, 50))
    print(f"maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
