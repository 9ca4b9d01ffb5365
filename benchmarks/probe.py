"""`kubectl batch -A` with a stopwatch: the real command (kubectl_batch.cli.main, the real
BatchApp and ClusterCache), headless at a fixed terminal size, reporting to a file.

    python benchmarks/probe.py --report FILE --kubeconfig PATH [--size 200x50] [--watch PREFIX]
                               [--rescan SECONDS] [--heap-every SECONDS]
    python benchmarks/probe.py --report FILE --demo     # `kubectl batch --demo`, no cluster

Reports JSON lines (times are time.monotonic(), comparable with the parent's):
  {"event": "rows", "t": ...}  every Job and CronJob is on screen (pods may still be listing);
  {"event": "table", "t": ..., "jobs": N, "cronjobs": C, "rss_kb": ...}  first complete table
      (Jobs, CronJobs and pods listed, and the Jobs and CronJobs tables hold every one),
      stamped after the screen was refreshed with it;
  {"event": "seen", "t": ..., "name": ..., "visible": bool}  a watched Job's row shows Complete
      (watched: rows named PREFIX... at the first table; with --rescan, also those added
      later, looked for every SECONDS, and forgotten once their row is gone);
  {"event": "key", "t": ..., "ms": ...}  a cursor key pressed while the tables are loading
      (every 0.3 s until the first complete table), painted after ms;
  {"event": "requests", "items": [[t, method, path, watch], ...]}  every API request, at exit
      (SIGTERM) and every 5 s;
  {"event": "frames", "t": ..., "paints": N, "paint_ms": ..., "layouts": N, "layout_ms": ...}
      every 5 s: the screen's paints (compositor refreshes) and layouts so far, and the
      time spent in them (a layout includes the paint after it);
  {"event": "heap", "t": ..., "k": K, "traced_kb": ..., "objects": N, "types": [...],
   "kept": {table: [cells, row lines, lines]}, "tuples": [...]}  with --heap-every SECONDS:
      the traced heap, what the collector tracks by type, the entries of each table's
      render caches; the tracemalloc snapshot is dumped to REPORT.heap-K.
Nothing here changes what the app does; it only wraps two methods to observe them (but
--heap-every traces every allocation, which slows it down and costs memory of its own).
"""

from __future__ import annotations

import time

T_IMPORT = time.monotonic()

import argparse  # noqa: E402
import importlib.abc  # noqa: E402
import importlib.machinery  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--report", required=True)
    parser.add_argument("--kubeconfig")
    parser.add_argument("--demo", action="store_true", help="`kubectl batch --demo` (no cluster)")
    parser.add_argument("--size", default="200x50")
    parser.add_argument("--watch", default="latency-")
    parser.add_argument("--namespace", default=None, help="default: all namespaces")
    parser.add_argument(
        "--rescan", type=float, default=0, help="look for new watched rows every SECONDS"
    )
    parser.add_argument(
        "--heap-every",
        type=float,
        default=0,
        help="trace allocations (tracemalloc) and dump a snapshot every SECONDS",
    )
    opts = parser.parse_args()
    width, height = (int(x) for x in opts.size.split("x"))
    out = open(opts.report, "a", buffering=1)  # noqa: SIM115 - lives as long as the process
    # Re-entrant: the SIGTERM handler (stop) reports on the main thread, which may be
    # inside report() already (a plain lock hung the probe until the harness killed it).
    lock = threading.RLock()

    def report(**item) -> None:
        with lock:
            out.write(json.dumps(item) + "\n")

    from kubectl_batch.kube import client as kube_client

    requests: list[list] = []
    send = kube_client.ApiClient._send

    def counted_send(self, method, path, params=None, *args, **kwargs):
        requests.append([time.monotonic(), method, path, bool((params or {}).get("watch"))])
        return send(self, method, path, params, *args, **kwargs)

    kube_client.ApiClient._send = counted_send

    def flush_requests(*_):
        report(event="requests", items=list(requests))

    def stop(*_):
        flush_requests()
        out.flush()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)

    state: dict = {"table": False, "watched": {}}
    seen: set[str] = set()
    frames = {"paints": 0, "paint_ms": 0.0, "layouts": 0, "layout_ms": 0.0}

    def observe_ui(tui_app) -> None:
        """The UI's hooks, put in once the command itself imports kubectl_batch.tui.app: the
        probe imports nothing before the command does, so Textual's imports (~0.2 s) stay
        where the command puts them, overlapping its first LISTs (commands/ui.py)."""
        from kubectl_batch.tui.widgets.live_table import LiveTable

        def check(app) -> None:
            """Called after each model is shown, and every 20 ms until the first complete table
            (rows may be added over frames), every 0.5 s after it."""
            try:
                jobs = app.screen.query_one("#jobs", LiveTable)
                crons = app.screen.query_one("#cronjobs", LiveTable)
            except Exception:  # noqa: BLE001 - another screen, or not mounted yet
                return
            cache = app.cache
            if cache is None:
                return
            listed = state.setdefault("listed", set())
            if len(listed) < 4:
                for kind, st in cache.states().items():
                    if kind not in listed and getattr(st.phase, "value", st.phase) == "connected":
                        listed.add(kind)
                        report(
                            event="listed",
                            kind=kind,
                            t=time.monotonic(),
                            rows=jobs.row_count,
                            cpu=_cpu(),
                        )
            if not state.get("rows"):
                # Every Job and CronJob is on screen, with every column but the pod-derived
                # backoff countdowns (the pods may still be listing).
                phases = {
                    getattr(s.phase, "value", s.phase)
                    for kind, s in cache.states().items()
                    if kind in ("Job", "CronJob")
                }
                n_jobs, n_crons = len(cache.jobs()), len(cache.cronjobs())
                on_screen = jobs.row_count == n_jobs > 0 and crons.row_count == n_crons
                if phases == {"connected"} and on_screen:
                    state["rows"] = True
                    app.call_after_refresh(
                        lambda: report(event="rows", t=time.monotonic(), cpu=_cpu())
                    )
            if not state["table"]:
                # Jobs, CronJobs and pods are listed (Events do not show in these tables), and
                # the tables hold every one of them.
                phases = {
                    getattr(s.phase, "value", s.phase)
                    for kind, s in cache.states().items()
                    if kind != "Event"
                }
                if phases != {"connected"}:
                    return
                n_jobs, n_crons = len(cache.jobs()), len(cache.cronjobs())
                if not (jobs.row_count == n_jobs > 0 and crons.row_count == n_crons):
                    return
                state["table"] = True

                def painted():
                    report(
                        event="table",
                        t=time.monotonic(),
                        t_import=T_IMPORT,
                        jobs=n_jobs,
                        cronjobs=n_crons,
                        rss_kb=_rss_kb(),
                        maxrss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                        cpu=_cpu(),
                    )

                app.call_after_refresh(painted)
            if not opts.watch:
                return
            watched = state["watched"]
            now = time.monotonic()
            if not state.get("scanned") or (opts.rescan and now >= state["scanned"] + opts.rescan):
                state["scanned"] = now
                rows = jobs.rows_by_uid
                for uid in [u for u in watched if u not in rows]:  # deleted: forget it
                    seen.discard(watched.pop(uid))
                watched.update(
                    (uid, row.name)
                    for uid, row in rows.items()
                    if uid not in watched and getattr(row, "name", "").startswith(opts.watch)
                )
            for uid, name in watched.items():
                if name in seen:
                    continue
                try:
                    cell = str(jobs.get_cell(uid, "status"))
                except Exception:  # noqa: BLE001 - row not on the table (yet)
                    continue
                if not cell.startswith("Complete"):
                    continue
                seen.add(name)
                shown = uid in set(jobs.visible_uids())

                def seen_painted(name=name, shown=shown):
                    report(event="seen", t=time.monotonic(), name=name, visible=shown)

                app.call_after_refresh(seen_painted)

        # A person pressing the cursor keys while the LISTs are still arriving: from the key
        # leaving the terminal (a thread, as Textual's input thread) to the moved cursor painted.
        press: dict = {}

        def press_keys(app) -> None:
            from textual import events

            key = "down"
            while not state["table"]:
                time.sleep(0.3)
                table = app.focused
                if press or not isinstance(table, LiveTable) or table.row_count < 2:
                    continue
                key = "up" if key == "down" and table.cursor_row > 0 else "down"
                press.update(t=time.monotonic(), table=table, row=table.cursor_row)
                app.post_message(events.Key(key, None))

        def check_press() -> None:
            if press and press["table"].cursor_row != press["row"]:
                t = press["t"]
                press.clear()
                app = press_app[0]
                app.call_after_refresh(
                    lambda: report(
                        event="key", t=time.monotonic(), ms=(time.monotonic() - t) * 1000
                    )
                )

        press_app: list = []

        # The moved cursor is seen where it moves, not by polling: a poll every 0.5 s once the
        # table is complete added up to half a second to a key pressed just before.
        original_cursor = LiveTable.watch_cursor_coordinate

        def watch_cursor(self, old, new):
            original_cursor(self, old, new)
            check_press()

        LiveTable.watch_cursor_coordinate = watch_cursor

        original_refreshed = tui_app.BatchApp.on_refreshed

        def on_refreshed(self, message):
            original_refreshed(self, message)
            check(self)
            check_press()

        original_mount = tui_app.BatchApp.on_mount

        def on_mount(self):
            original_mount(self)
            state["app"] = self
            # Every 20 ms while the tables fill (rows are added over frames); after that a
            # change reaches the screen through on_refreshed, where check() runs at once, so
            # polling slows down and stays out of the CPU measured while idle or churning.
            fast = self.set_interval(0.02, lambda: (check(self), check_press()))

            def slow_down() -> None:
                if state["table"]:
                    fast.stop()
                    self.set_interval(0.5, lambda: (check(self), check_press()))
                else:
                    self.set_timer(0.1, slow_down)

            self.set_timer(0.1, slow_down)
            press_app.append(self)
            threading.Thread(target=press_keys, args=(self,), daemon=True).start()

        tui_app.BatchApp.on_mount = on_mount
        tui_app.BatchApp.on_refreshed = on_refreshed
        original_run = tui_app.BatchApp.run

        def headless_run(self, *args, **kwargs):
            kwargs.update(headless=True, size=(width, height))
            return original_run(self, *args, **kwargs)

        tui_app.BatchApp.run = headless_run

        # Paints of the screen (Textual's compositor refreshes) and the main thread's time in
        # them, and the layouts among them: what a change or a tick costs to put on screen.
        from textual.screen import Screen

        paint, layout = Screen._compositor_refresh, Screen._refresh_layout

        def timed(original, count, total):
            def wrapper(self, *args, **kwargs):
                start = time.perf_counter()
                try:
                    return original(self, *args, **kwargs)
                finally:
                    frames[count] += 1
                    frames[total] += (time.perf_counter() - start) * 1000

            return wrapper

        Screen._compositor_refresh = timed(paint, "paints", "paint_ms")
        Screen._refresh_layout = timed(layout, "layouts", "layout_ms")

    after_import("kubectl_batch.tui.app", observe_ui)

    def periodic():
        while True:
            time.sleep(5)
            flush_requests()
            report(event="frames", t=time.monotonic(), **frames)

    threading.Thread(target=periodic, daemon=True).start()
    if opts.heap_every:
        _trace_heap(opts.heap_every, Path(opts.report), report, state)

    from kubectl_batch.cli import main as cli_main

    if opts.demo:
        argv = ["--demo"]
    else:
        argv = ["--kubeconfig", opts.kubeconfig]
        argv += ["-n", opts.namespace] if opts.namespace else ["-A"]
    code = cli_main(argv)
    flush_requests()
    return code


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls each of ``then[name]`` with the module right after ``name`` is first imported,
    by whoever imports it."""

    then: dict[str, list] = {}

    def find_spec(self, fullname, path, target=None):
        if fullname not in self.then:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        load, then = spec.loader.exec_module, self.then.pop(fullname)

        def exec_module(module) -> None:
            load(module)
            for each in then:
                each(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def after_import(name: str, then) -> None:
    if name in sys.modules:
        then(sys.modules[name])
        return
    if not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport())
    _AfterImport.then.setdefault(name, []).append(then)


def _trace_heap(every: float, report_path: Path, report, state: dict) -> None:
    """Where memory grows (issue 22): every `every` s a tracemalloc snapshot is dumped
    beside the report (REPORT.heap-K, for tracemalloc.Snapshot.load) and a "heap" event
    gives the traced total, the live objects the collector tracks, by type, and the
    entries in each table's render caches."""
    import collections
    import gc
    import tracemalloc

    tracemalloc.start(12)

    def dump() -> None:
        k = 0
        while True:
            time.sleep(every)
            current = tracemalloc.get_traced_memory()[0]  # before the snapshot's own
            snapshot = tracemalloc.take_snapshot()
            snapshot.dump(f"{report_path}.heap-{k}")
            del snapshot  # (its traces are tuples: they would be counted below)
            alive = gc.get_objects()
            counts = collections.Counter(type(o).__qualname__ for o in alive)
            # Tuples are most of what the collector tracks: what they hold says whose.
            shapes = collections.Counter(
                (len(o), *(type(x).__qualname__ for x in o[:4])) for o in alive if type(o) is tuple
            )
            del alive
            app = state.get("app")
            kept = app.call_from_thread(_kept_entries, app) if app is not None else {}
            report(
                event="heap",
                t=time.monotonic(),
                k=k,
                traced_kb=current // 1024,
                rss_kb=_rss_kb(),
                objects=sum(counts.values()),
                frozen=gc.get_freeze_count(),
                types=counts.most_common(40),
                kept=kept,
                tuples=[[" ".join(map(str, k)), n] for k, n in shapes.most_common(15)],
            )
            k += 1

    threading.Thread(target=dump, daemon=True).start()


def _kept_entries(app) -> dict[str, list[int]]:
    """Entries of each table's render caches (on the app's thread: the DOM is its own)."""
    from kubectl_batch.tui.widgets.live_table import LiveTable

    return {
        str(t.id): [len(t._rendered), len(t._row_lines), len(t._lines)]
        for t in app.screen.query(LiveTable)
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
