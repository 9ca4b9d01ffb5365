#!/usr/bin/env python3
"""A long run of `kubectl batch` on a churning cluster: does it stay flat? (issue 22; not
part of the test suite).

    python benchmarks/soak.py                          # 30 min, 50 Jobs, 60 changes/min
    python benchmarks/soak.py --minutes 12 --warmup 3  # shorter
    python benchmarks/soak.py --minutes 240            # 4 hours
    python benchmarks/soak.py --jobs 10000             # the loaded benchmark cluster

With up to 999 Jobs it uses the shared test cluster (tests/cluster, started if it is not
running) in a namespace of its own, deleted at the end: --jobs Jobs in mixed states (every
one with `spec.managedBy`, so their status is what this script PATCHes) and 6 CronJobs (3
firing every minute, whose Jobs are the real controller's, with pods KWOK runs to
completion; 3 yearly). With --jobs 1000 or 10000 it uses the benchmark's loaded cluster
`kubectl-batch-bench-N` (benchmarks/run.py; kept, only stopped at the end) and churns 50
Jobs and the 6 CronJobs in a namespace of its own there.

The real `kubectl batch` runs headless (benchmarks/probe.py, which only observes it) for
--minutes while --rate changes a minute are made: a third creates (a Running Job and an
Event about it), a third status changes (a Running Job made Complete, or now and then
Failed, by a /status PATCH), a third deletes (the oldest Job), so the number of objects
stays steady. Every 10 s the RSS and CPU time of the TUI process are sampled. Each Job made
Complete is a change-to-screen sample (the probe watches every `soak-` row, also those
created later). At the end most objects are deleted and the RSS is read again a minute
later. Prints a summary next to the targets, an RSS sparkline, and writes the samples as
JSON (--json).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.clusters import BenchCluster, cluster_module, say  # noqa: E402
from benchmarks.dataset import finished_status, managed_job, rfc3339  # noqa: E402
from benchmarks.load import event  # noqa: E402
from benchmarks.run import _events, median, p95, stop_probe  # noqa: E402

PREFIX = "soak-"
MERGE = "application/merge-patch+json"
SAMPLE_S = 10.0
BENCH_CHURN_JOBS = 50
CLK_TCK = os.sysconf("SC_CLK_TCK")
TARGET_SLOPE = 10.0  # MB per hour after the warm-up
TARGET_CPU = 5.0  # % of a core, at 60 changes a minute with 50 Jobs
SPARK = "▁▂▃▄▅▆▇█"


def now_str() -> str:
    return rfc3339(datetime.now(timezone.utc))


# ----------------------------------------------------------------------------- objects


def cronjob_body(ns: str, name: str, schedule: str) -> dict:
    return {
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "schedule": schedule,
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 1,
            "jobTemplate": {
                "spec": {
                    "backoffLimit": 0,
                    "template": {
                        "metadata": {"annotations": {"test.kubectl-batch.io/duration": "2s"}},
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "main", "image": "busybox"}],
                        },
                    },
                }
            },
        },
    }


class Churn:
    """The objects of the soak namespace, and the changes made to them."""

    def __init__(self, client, ns: str):
        self.client = client
        self.ns = ns
        self.jobs_path = f"/apis/batch/v1/namespaces/{ns}/jobs"
        self.counter = 0
        self.order: list[str] = []  # oldest first
        self.uids: dict[str, str] = {}
        self.running: dict[str, float] = {}  # name -> monotonic time it was made Running
        self.sent: dict[str, float] = {}  # name -> monotonic time just before it was completed
        self.counts = {"create": 0, "complete": 0, "fail": 0, "delete": 0, "error": 0}
        self.rng = random.Random(22)

    def create(self, state: str = "running") -> str:
        self.counter += 1
        name = f"{PREFIX}{self.counter:06d}"
        job = self.client.request(
            "POST",
            self.jobs_path,
            body=managed_job(self.ns, name, {"app.kubernetes.io/name": "soak"}),
        )
        uid = job["metadata"]["uid"]
        start = {"startTime": now_str(), "active": 1, "ready": 1}
        self.patch(name, start)
        if state == "running":
            self.running[name] = time.monotonic()
        else:
            self.patch(
                name,
                dict(finished_status(state == "complete", now_str()), startTime=start["startTime"]),
            )
        self.client.request(
            "POST",
            f"/api/v1/namespaces/{self.ns}/events",
            body=event(
                self.ns,
                "Job",
                name,
                uid,
                "Normal",
                "SuccessfulCreate",
                f"Created pod: {name}-x",
                "soak",
                now_str(),
            ),
        )
        self.order.append(name)
        self.uids[name] = uid
        return name

    def patch(self, name: str, status: dict) -> None:
        self.client.request(
            "PATCH", f"{self.jobs_path}/{name}/status", body={"status": status}, content_type=MERGE
        )

    def finish(self) -> None:
        """Make a Running Job (Running for 3 s at least, so the probe watches it) finish."""
        ready = [n for n, t in self.running.items() if time.monotonic() - t > 3]
        if not ready:
            return
        name = self.rng.choice(ready)
        complete = self.rng.random() < 0.8
        del self.running[name]
        t = time.monotonic()
        self.patch(name, finished_status(complete, now_str()))
        if complete:
            self.sent[name] = t
        self.counts["complete" if complete else "fail"] += 1

    def delete(self, name: str | None = None) -> None:
        name = name or self.order[0]
        self.order.remove(name)
        self.running.pop(name, None)
        self.uids.pop(name, None)
        from kubectl_batch.kube.client import ApiError

        try:
            self.client.request(
                "DELETE", f"{self.jobs_path}/{name}", params={"propagationPolicy": "Background"}
            )
        except ApiError as exc:
            if not exc.not_found:
                raise

    def step(self, i: int) -> None:
        op = ("create", "finish", "delete")[i % 3]
        try:
            if op == "create":
                self.create()
                self.counts["create"] += 1
            elif op == "finish":
                self.finish()
            elif self.order:
                self.delete()
                self.counts["delete"] += 1
        except Exception as exc:  # noqa: BLE001 - a hiccup of the API server: go on
            self.counts["error"] += 1
            say(f"churn: {op} failed: {exc}")


# ------------------------------------------------------------------------------ process


def proc_sample(pid: int) -> tuple[float, float]:
    """(RSS in MB, CPU seconds: user + system) of process pid."""
    rss = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return rss, cpu


def slope_mb_per_hour(samples: list[dict]) -> float:
    if len(samples) < 3:
        return float("nan")
    xs = [s["t"] / 3600 for s in samples]
    ys = [s["rss_mb"] for s in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var


def sparkline(values: list[float], width: int = 60) -> str:
    if not values:
        return ""
    if len(values) > width:  # the mean of each of `width` stretches
        step = len(values) / width
        values = [
            sum(chunk) / len(chunk)
            for k in range(width)
            if (chunk := values[int(k * step) : max(int((k + 1) * step), int(k * step) + 1)])
        ]
    lo, hi = min(values), max(values)
    span = hi - lo or 1.0
    return "".join(SPARK[min(7, int((v - lo) / span * 8))] for v in values)


# ----------------------------------------------------------------------------------- run


def setup(args) -> tuple[str, object, str, bool]:
    """(kubeconfig, client, namespace, is the benchmark cluster)."""
    from kubectl_batch.kube.client import ApiClient
    from kubectl_batch.kube.config import load as load_config

    ns = f"soak-{uuid.uuid4().hex[:6]}"
    if args.jobs >= 1000:
        bench = BenchCluster(args.jobs)
        bench.up()
        bench.ensure_loaded(24)
        kubeconfig = bench.kubeconfig
    else:
        mod = cluster_module("kubectl-batch-test")
        kubeconfig = str(mod.KUBECONFIG if mod.answers() else mod.up())
    client = ApiClient(load_config(kubeconfig=kubeconfig), max_connections=8)
    client.request("POST", "/api/v1/namespaces", body={"metadata": {"name": ns}})
    return kubeconfig, client, ns, args.jobs >= 1000


def populate(churn: Churn, n: int, crons: bool) -> None:
    rng = random.Random(7)
    for _ in range(n):
        r = rng.random()
        churn.create("complete" if r < 0.6 else "failed" if r < 0.75 else "running")
    if crons:
        for i in range(3):
            churn.client.request(
                "POST",
                f"/apis/batch/v1/namespaces/{churn.ns}/cronjobs",
                body=cronjob_body(churn.ns, f"every-minute-{i}", "* * * * *"),
            )
            churn.client.request(
                "POST",
                f"/apis/batch/v1/namespaces/{churn.ns}/cronjobs",
                body=cronjob_body(churn.ns, f"yearly-{i}", "0 0 1 1 *"),
            )


def cleanup(client, ns: str) -> None:
    for path in (
        f"/apis/batch/v1/namespaces/{ns}/cronjobs",
        f"/apis/batch/v1/namespaces/{ns}/jobs",
    ):
        try:
            client.request("DELETE", path, params={"propagationPolicy": "Background"})
        except Exception as exc:  # noqa: BLE001
            say(f"cleanup: {path}: {exc}")
    try:
        client.request("DELETE", f"/api/v1/namespaces/{ns}")
    except Exception as exc:  # noqa: BLE001
        say(f"cleanup: namespace {ns}: {exc}")


def run(args) -> dict:
    kubeconfig, client, ns, bench = setup(args)
    churn = Churn(client, ns)
    report = Path(tempfile.mkstemp(prefix="kbt-soak-", suffix=".jsonl")[1])
    log = open(report.with_suffix(".log"), "w")  # noqa: SIM115
    proc = None
    try:
        n_churn = BENCH_CHURN_JOBS if bench else args.jobs
        say(f"soak: namespace {ns}: creating {n_churn} Jobs and 6 CronJobs")
        populate(churn, n_churn, crons=True)
        cmd = [
            sys.executable,
            str(ROOT / "benchmarks" / "probe.py"),
            "--report",
            str(report),
            "--kubeconfig",
            kubeconfig,
            "--size",
            args.size,
            "--watch",
            PREFIX,
            "--rescan",
            "0.5",
        ]
        if not bench:
            cmd += ["--namespace", ns]
        if args.heap_every:
            cmd += ["--heap-every", str(args.heap_every)]
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        table = None
        while table is None:
            if proc.poll() is not None:
                raise RuntimeError(f"the probe exited: {report.with_suffix('.log').read_text()}")
            if time.monotonic() > t0 + 600:
                raise RuntimeError("no complete table within 10 minutes")
            table = next((e for e in _events(report) if e["event"] == "table"), None)
            time.sleep(0.1)
        say(f"soak: first table after {table['t'] - t0:.1f} s, {table['rss_kb'] / 1024:.0f} MB")
        start = time.monotonic()
        end = start + args.minutes * 60
        samples: list[dict] = []
        stop = threading.Event()

        def churner() -> None:
            interval = 60.0 / args.rate
            i = 0
            next_t = time.monotonic()
            while not stop.is_set():
                churn.step(i)
                i += 1
                next_t += interval
                stop.wait(max(0.0, next_t - time.monotonic()))

        thread = threading.Thread(target=churner, daemon=True)

        def sample(phase: str) -> dict:
            rss, cpu = proc_sample(proc.pid)
            s = {"t": time.monotonic() - start, "rss_mb": rss, "cpu_s": cpu, "phase": phase}
            samples.append(s)
            return s

        sample("churn")
        thread.start()
        next_sample = start + SAMPLE_S
        while time.monotonic() < end:
            time.sleep(max(0.0, next_sample - time.monotonic()))
            next_sample += SAMPLE_S
            s = sample("churn")
            if len(samples) % 6 == 1:
                say(
                    f"soak: {s['t'] / 60:5.1f} min  RSS {s['rss_mb']:.0f} MB  "
                    f"changes {churn.counts}"
                )
        stop.set()
        thread.join(30)
        churn_end = time.monotonic() - start
        time.sleep(5)  # the last completions reach the screen
        seen = {e["name"]: e["t"] for e in _events(report) if e["event"] == "seen"}
        frames = [e for e in _events(report) if e["event"] == "frames"]
        # Delete most objects: every Job but 5, and the CronJobs (and their Jobs).
        keep = 0 if bench else 5
        say(f"soak: deleting {len(churn.order) - keep} Jobs and the CronJobs")
        before_delete = sample("delete")
        client.request(
            "DELETE",
            f"/apis/batch/v1/namespaces/{ns}/cronjobs",
            params={"propagationPolicy": "Background"},
        )
        for name in list(churn.order)[keep:]:
            churn.delete(name)
        after_until = time.monotonic() + args.settle
        while time.monotonic() < after_until:
            time.sleep(SAMPLE_S)
            sample("after-delete")
        result = summarize(
            args, samples, churn, seen, table, start, churn_end, before_delete, bench
        )
        result["paints"] = paint_rates(frames, start + args.warmup * 60, start + churn_end)
        result.update(namespace=ns, kubeconfig=kubeconfig, bench=bench)
        return result
    finally:
        if proc is not None:
            stop_probe(proc)
        log.close()
        cleanup(client, ns)
        if args.heap_every:
            say(f"soak: the probe's report and heap snapshots are kept: {report}*")
        else:
            report.unlink(missing_ok=True)
            report.with_suffix(".log").unlink(missing_ok=True)


def summarize(args, samples, churn, seen, table, start, churn_end, before_delete, bench) -> dict:
    warm = args.warmup * 60
    steady = [s for s in samples if s["phase"] == "churn" and s["t"] >= warm]
    cpu = float("nan")
    if len(steady) >= 2:
        cpu = (steady[-1]["cpu_s"] - steady[0]["cpu_s"]) / (steady[-1]["t"] - steady[0]["t"]) * 100
    window = min(args.window * 60, churn_end / 2)
    lat_first, lat_last, missed = [], [], 0
    for name, t_sent in churn.sent.items():
        if name not in seen:
            missed += 1
            continue
        at = t_sent - start
        ms = (seen[name] - t_sent) * 1000
        if at <= window:
            lat_first.append(ms)
        elif at >= churn_end - window:
            lat_last.append(ms)
    after = [s for s in samples if s["phase"] == "after-delete"]
    rss_after = after[-1]["rss_mb"] if after else float("nan")
    return {
        "args": vars(args),
        "samples": samples,
        "changes": churn.counts,
        "jobs_end": len(churn.order),
        "rss_first_table_mb": table["rss_kb"] / 1024,
        "rss_start_mb": samples[0]["rss_mb"],
        "rss_before_delete_mb": before_delete["rss_mb"],
        "rss_after_delete_mb": rss_after,
        "slope_mb_per_hour": slope_mb_per_hour(steady),
        "cpu_percent": cpu,
        "window_s": window,
        "latency_first_ms": lat_first,
        "latency_last_ms": lat_last,
        "latency_missed": missed,
        "bench": bench,
    }


def paint_rates(frames: list[dict], since: float, until: float) -> dict | None:
    """Paints of the screen a second and their main-thread milliseconds a second, between
    two monotonic times (the probe's "frames" counters, every 5 s)."""
    span = [f for f in frames if since <= f["t"] <= until]
    if len(span) < 2:
        return None
    a, b = span[0], span[-1]
    seconds = b["t"] - a["t"]
    return {
        "paints_per_s": (b["paints"] - a["paints"]) / seconds,
        "paint_ms_per_s": (b["paint_ms"] - a["paint_ms"]) / seconds,
        "layouts_per_s": (b["layouts"] - a["layouts"]) / seconds,
        "layout_ms_per_s": (b["layout_ms"] - a["layout_ms"]) / seconds,
    }


# ---------------------------------------------------------------------------- output


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else "met" if ok else "NOT MET"


def latency_ok(first: list[float], last: list[float]) -> bool | None:
    """The last window's p95 within noise of the first's: at most 1.5x it, or 50 ms more."""
    if not first or not last:
        return None
    a, b = p95(first), p95(last)
    return b <= max(1.5 * a, a + 50)


def print_summary(r: dict) -> str:
    a = r["args"]
    warmup = a["warmup"] * 60
    steady = [s for s in r["samples"] if s["phase"] == "churn" and s["t"] >= warmup]
    objects = (
        f"the loaded kubectl-batch-bench-{a['jobs']} cluster (-A) plus {BENCH_CHURN_JOBS} churned"
        if r["bench"]
        else f"{a['jobs']}"
    )
    lines = [
        f"Soak: {a['minutes']:g} min, {objects} Jobs and 6 CronJobs (3 every minute), "
        f"{a['rate']:g} changes/min (done: {r['changes']}), warm-up {a['warmup']:g} min",
        "",
        "| measure | measured | target |",
        "|---|---|---|",
    ]
    slope = r["slope_mb_per_hour"]
    lines.append(
        f"| RSS slope after the warm-up (linear fit) | {slope:+.1f} MB/hour "
        f"({steady[0]['rss_mb']:.0f} → {steady[-1]['rss_mb']:.0f} MB) | "
        f"< {TARGET_SLOPE:g} MB/hour: {verdict(slope < TARGET_SLOPE)} |"
    )
    cpu = r["cpu_percent"]
    cpu_applies = a["jobs"] <= 50 and a["rate"] <= 60
    lines.append(
        f"| CPU of the TUI process after the warm-up | {cpu:.1f} % of a core | "
        f"< {TARGET_CPU:g} % (60 changes/min, 50 Jobs): "
        f"{verdict(cpu < TARGET_CPU if cpu_applies else None)} |"
    )
    paints = r.get("paints")
    if paints:
        lines.append(
            f"| paints of the screen after the warm-up | {paints['paints_per_s']:.1f} a second, "
            f"{paints['paint_ms_per_s']:.0f} ms a second (layouts: "
            f"{paints['layouts_per_s']:.1f} a second, {paints['layout_ms_per_s']:.0f} ms "
            "with their paints) | |"
        )
    first, last = r["latency_first_ms"], r["latency_last_ms"]
    w = f"{r['window_s'] / 60:.3g}"

    def lat(values: list[float]) -> str:
        if not values:
            return "no samples"
        return f"p95 {p95(values):.0f} ms, median {median(values):.0f} ms ({len(values)} samples)"

    lines.append(f"| change to screen, first {w} min | {lat(first)} | |")
    missed = f"; {r['latency_missed']} never seen" if r["latency_missed"] else ""
    lines.append(
        f"| change to screen, last {w} min | {lat(last)}{missed} | "
        f"p95 as in the first {w} min (≤ 1.5x or +50 ms): "
        f"{verdict(latency_ok(first, last))} |"
    )
    before, after_ = r["rss_before_delete_mb"], r["rss_after_delete_mb"]
    warm = steady[0]["rss_mb"]
    gave_back = None if r["bench"] else after_ <= warm + 5
    lines.append(
        f"| RSS: first table / end of warm-up / end of churn / {a['settle']:g} s after "
        f"deleting {'the churned' if r['bench'] else 'all but 5'} Jobs and the CronJobs | "
        f"{r['rss_first_table_mb']:.0f} / {warm:.0f} / {before:.0f} / {after_:.0f} MB | "
        f"nothing kept from the churn (≤ end of warm-up + 5 MB): {verdict(gave_back)} |"
    )
    rss = [s["rss_mb"] for s in r["samples"]]
    lines += [
        "",
        f"RSS every {SAMPLE_S:g} s, {min(rss):.0f} to {max(rss):.0f} MB (the drop at the end: "
        "after the deletions):",
        "",
        sparkline(rss),
    ]
    text = "\n".join(lines)
    print(text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30, help="churn duration (default 30)")
    parser.add_argument("--warmup", type=float, default=5, help="minutes left out of the fit")
    parser.add_argument(
        "--jobs",
        type=int,
        default=50,
        help="Jobs (default 50, on the test cluster; 1000 or 10000: the benchmark cluster)",
    )
    parser.add_argument("--rate", type=float, default=60, help="changes a minute (default 60)")
    parser.add_argument("--window", type=float, default=5, help="latency windows, minutes")
    parser.add_argument("--settle", type=float, default=60, help="seconds after the deletions")
    parser.add_argument("--size", default="200x50", help="terminal size of the headless TUI")
    parser.add_argument("--json", default="soak.json", help="samples and figures (soak.json)")
    parser.add_argument(
        "--heap-every",
        type=float,
        default=0,
        help="trace the TUI's allocations, a snapshot every SECONDS (slows it; see probe.py)",
    )
    args = parser.parse_args()
    if args.jobs >= 1000 and args.jobs not in (1000, 10000):
        parser.error("--jobs above 999 must be 1000 or 10000 (the benchmark clusters)")
    r = run(args)
    text = print_summary(r)
    r["summary"] = text
    Path(args.json).write_text(json.dumps(r, indent=1))
    say(f"soak: samples written to {args.json}")
    if r["bench"]:
        BenchCluster(args.jobs).stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
