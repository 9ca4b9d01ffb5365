#!/usr/bin/env python3
"""kubectl batch at scale, side by side with kubectl (not part of the test suite).

    python benchmarks/run.py                       # N = 1,000 and 10,000, 5 runs each
    python benchmarks/run.py --sizes 1000 --runs 3 --idle 0
    python benchmarks/run.py --down                # delete the benchmark clusters

For each N it starts (or resumes) its own local cluster `kubectl-batch-bench-N` with
tests/cluster/cluster.py, loads it once (benchmarks/dataset.py: N Jobs in mixed states,
their pods, 1,000 CronJobs, Events; kept between runs: the cluster is stopped, not deleted),
then measures, in the same run and interleaved:

* `kubectl batch -A` (headless, 200x50, benchmarks/probe.py) from process start to the first
  complete table, against the wall time of `kubectl get jobs,cronjobs -A`;
* its RSS at that moment and its peak RSS over the run (VmHWM);
* API requests made in --idle seconds after start-up: counted by the client, and
  apiserver_request_total deltas from the API server's /metrics (every client's);
* change-to-screen latency: a Job's status is made Complete on the server; the time until
  the row on screen shows it (20 Jobs per run);
* `kubectl batch next-runs -A` against `kubectl get cronjobs -A`;
* without a cluster: `kubectl-batch --version`, `kubectl-batch next-runs --schedule ...`.

It prints a Markdown table (medians of the runs; ratios are medians of per-run ratios).
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import k9s  # noqa: E402
from benchmarks.clusters import BenchCluster, say  # noqa: E402
from benchmarks.dataset import finished_status, managed_job, rfc3339  # noqa: E402
from benchmarks.link import Link, LinkProfile  # noqa: E402

LATENCY_NS = "bench-latency"
LATENCY_JOBS = 20
SIZE = "200x50"
SCHEDULE = "0 9 * * 1-5"


def kubectl_batch() -> list[str]:
    """The kubectl-batch console script of this interpreter (not a pyenv shim)."""
    here = Path(sys.executable).parent / "kubectl-batch"
    found = str(here) if here.exists() else shutil.which("kubectl-batch")
    if not found:
        raise SystemExit("kubectl-batch is not installed: pip install -e .")
    return [found]


def wall(cmd: list[str], env: dict | None = None) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.decode()[-500:]}")
    return elapsed


def with_bytecode() -> None:
    """Run our commands from bytecode, as every install does (pip and pipx compile at
    install; the krew launcher keeps caches in ~/.cache). With PYTHONDONTWRITEBYTECODE set,
    as on some build hosts, each start would compile our sources again: about 0.09 s that
    no user pays."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.pop("PYTHONPYCACHEPREFIX", None)
    for tree in ("kubectl_batch", "benchmarks"):
        compileall.compile_dir(str(ROOT / tree), quiet=1)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# ------------------------------------------------------------------------- API metrics

_METRIC = re.compile(r"^apiserver_request_total\{([^}]*)\} ([0-9.e+]+)$")
_LABEL = re.compile(r'(\w+)="([^"]*)"')
WATCHED = ("jobs", "cronjobs", "pods", "events")


def request_totals(client) -> Counter:
    raw = client._send("GET", "/metrics").data.decode()
    totals: Counter = Counter()
    for line in raw.splitlines():
        m = _METRIC.match(line)
        if not m:
            continue
        labels = dict(_LABEL.findall(m.group(1)))
        if labels.get("resource") in WATCHED and not labels.get("subresource"):
            totals[(labels.get("verb", ""), labels["resource"])] += float(m.group(2))
    return totals


# ---------------------------------------------------------------------- latency jobs


def _latency_paths(i: int) -> tuple[str, str]:
    base = f"/apis/batch/v1/namespaces/{LATENCY_NS}/jobs"
    return base, f"{base}/latency-{i:02d}"


def create_latency_jobs(client) -> None:
    delete_latency_jobs(client)
    now = rfc3339(datetime.now(timezone.utc))
    for i in range(LATENCY_JOBS):
        base, path = _latency_paths(i)
        body = managed_job(LATENCY_NS, f"latency-{i:02d}")
        client.request("POST", base, body=body)
        client.request(
            "PATCH",
            path + "/status",
            body={"status": {"startTime": now, "active": 1, "ready": 1}},
            content_type="application/merge-patch+json",
        )


def complete_latency_job(client, i: int) -> float:
    """Make Job i Complete on the server; returns the monotonic time just before asking."""
    status = finished_status(True, rfc3339(datetime.now(timezone.utc)))
    t = time.monotonic()
    client.request(
        "PATCH",
        _latency_paths(i)[1] + "/status",
        body={"status": status},
        content_type="application/merge-patch+json",
    )
    return t


def delete_latency_jobs(client) -> None:
    from kubectl_batch.kube.client import ApiError

    try:
        client.request(
            "DELETE",
            f"/apis/batch/v1/namespaces/{LATENCY_NS}/jobs",
            params={"propagationPolicy": "Background"},
        )
    except ApiError as exc:
        if not exc.not_found:
            raise
    for _ in range(100):
        if not client.get(f"/apis/batch/v1/namespaces/{LATENCY_NS}/jobs").get("items"):
            return
        time.sleep(0.1)


# ----------------------------------------------------------------------------- a run


def _events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(ValueError):  # a line being written
            out.append(json.loads(line))
    return out


def _proc_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` (and of its waited-for children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def probe_run(kubeconfig: str, client, idle: float, latency: bool) -> dict:
    if latency:
        create_latency_jobs(client)
    report = Path(tempfile.mkstemp(prefix="kbt-probe-", suffix=".jsonl")[1])
    cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "probe.py"),
        "--report",
        str(report),
        "--kubeconfig",
        kubeconfig,
        "--size",
        SIZE,
    ]
    log = open(report.with_suffix(".log"), "w")  # noqa: SIM115
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    result: dict = {}
    try:
        deadline = t0 + 600
        table = None
        while table is None:
            if proc.poll() is not None:
                raise RuntimeError(f"the probe exited: {report.with_suffix('.log').read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError("no complete table within 10 minutes")
            table = next((e for e in _events(report) if e["event"] == "table"), None)
            time.sleep(0.05)
        rows = next((e for e in _events(report) if e["event"] == "rows"), table)
        result.update(
            all_rows=rows["t"] - t0,
            first_table=table["t"] - t0,
            interpreter=table["t_import"] - t0,
            rss_table_mb=table["rss_kb"] / 1024,
            jobs=table["jobs"],
            cronjobs=table["cronjobs"],
        )
        # Idle means after start-up, which ends when every kind is listed: the Events are
        # listed only once the first tables are on screen (at 30,000 Jobs that takes longer
        # than the 2 s waited here, and their LIST pages were counted as idle requests).
        listed_by = time.monotonic() + 120
        while time.monotonic() < listed_by and not _all_listed(report):
            time.sleep(0.1)
        time.sleep(2)
        if idle:
            before = request_totals(client)
            t1, cpu1 = time.monotonic(), _cpu_seconds(proc.pid)
            time.sleep(idle)
            t2, cpu2 = time.monotonic(), _cpu_seconds(proc.pid)
            after = request_totals(client)
            result["idle_cpu_percent"] = 100 * (cpu2 - cpu1) / (t2 - t1)
            result["idle_seconds"] = idle
            result["server"] = {
                f"{verb} {res}": after[(verb, res)] - before[(verb, res)]
                for verb, res in sorted(set(after) | set(before))
                if after[(verb, res)] - before[(verb, res)]
            }
            result["idle_window"] = (t1, t2)
        if latency:
            sent = {}
            for i in range(LATENCY_JOBS):
                time.sleep(0.3 + 0.5 * ((i * 7919) % 100) / 100)  # not in step with the app
                sent[f"latency-{i:02d}"] = complete_latency_job(client, i)
            end = time.monotonic() + 15
            seen: dict = {}
            while time.monotonic() < end and len(seen) < len(sent):
                seen = {e["name"]: e for e in _events(report) if e["event"] == "seen"}
                time.sleep(0.1)
            result["latency_ms"] = [(seen[n]["t"] - t) * 1000 for n, t in sent.items() if n in seen]
            result["latency_missed"] = len(sent) - len(seen)
            result["latency_visible"] = sum(1 for e in seen.values() if e["visible"])
        result["rss_peak_mb"] = _proc_kb(proc.pid, "VmHWM") / 1024
        result["rss_end_mb"] = _proc_kb(proc.pid, "VmRSS") / 1024
    finally:
        stop_probe(proc)
        log.close()
    result["key_ms"] = [e["ms"] for e in _events(report) if e["event"] == "key"]
    reqs = [e for e in _events(report) if e["event"] == "requests"]
    items = reqs[-1]["items"] if reqs else []
    startup_end = table["t"]
    result["startup_requests"] = _classify([r for r in items if r[0] <= startup_end])
    if "idle_window" in result:
        t1, t2 = result.pop("idle_window")
        result["client"] = _classify([r for r in items if t1 <= r[0] <= t2])
    report.unlink(missing_ok=True)
    report.with_suffix(".log").unlink(missing_ok=True)
    if latency:
        delete_latency_jobs(client)
    return result


def _all_listed(report: Path) -> bool:
    """The probe has seen every kind listed (Jobs, CronJobs, pods and Events)."""
    listed = {e["kind"] for e in _events(report) if e["event"] == "listed"}
    return {"Job", "CronJob", "Pod", "Event"} <= listed


def stop_probe(proc: subprocess.Popen) -> None:
    """SIGTERM (the probe reports its requests then), SIGKILL if it does not go in 10 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _classify(items: list) -> dict:
    out: Counter = Counter()
    for _, method, path, watch in items:
        if method != "GET":
            verb = method
        elif watch:
            verb = "WATCH"
        elif re.search(r"/(jobs|cronjobs|pods|events)$", path):
            verb = "LIST"
        else:
            verb = "GET"
        out[f"{verb} {path.rsplit('/', 1)[-1] if verb in ('LIST', 'WATCH') else path}"] += 1
    return dict(out)


# --------------------------------------------------------------------------- a size


def side_by_side(n: int, where: str, kubeconfig: str, client, idle: float) -> dict:
    """One interleaved pair: `kubectl get jobs,cronjobs -A`, then `kubectl batch -A`."""
    kubectl_s = wall(["kubectl", "--kubeconfig", kubeconfig, "get", "jobs,cronjobs", "-A"])
    run = probe_run(kubeconfig, client, idle, latency=True)
    run["kubectl_get"] = kubectl_s
    run["ratio"] = run["first_table"] / kubectl_s
    run["rows_ratio"] = run["all_rows"] / kubectl_s
    say(
        f"N={n} {where}: every row {run['all_rows']:.2f} s, "
        f"first table {run['first_table']:.2f} s, kubectl "
        f"{kubectl_s:.2f} s (x{run['ratio']:.2f}), RSS {run['rss_table_mb']:.0f} MB "
        f"(peak {run['rss_peak_mb']:.0f}), latency median "
        f"{median(run['latency_ms']):.0f} ms p95 {p95(run['latency_ms']):.0f} ms"
    )
    if "client" in run:
        say(f"  idle {idle:.0f} s: client {run['client']}, server {run['server']}")
    return run


def k9s_run(n: int, kubeconfig: str, client, idle: float) -> dict:
    create_latency_jobs(client)
    try:
        run = k9s.run(
            kubeconfig,
            n + LATENCY_JOBS,
            idle,
            complete=lambda i: complete_latency_job(client, i),
            latency_jobs=LATENCY_JOBS,
        )
    finally:
        delete_latency_jobs(client)
    say(
        f"N={n} k9s {k9s.VERSION}: every Job counted {run['all_jobs']:.2f} s, "
        f"RSS {run['rss_mb']:.0f} MB, idle CPU {run.get('idle_cpu_percent', float('nan')):.1f} %, "
        f"latency p95 {p95(run['latency_ms']):.0f} ms"
    )
    return run


def bench_size(
    n: int, runs: int, idle: float, workers: int, link: LinkProfile | None, with_k9s: bool
) -> dict:
    cluster = BenchCluster(n)
    cluster.up()
    data = cluster.ensure_loaded(workers)
    client = cluster.client()
    version = client.server_version().get("gitVersion", "?")
    kc = ["kubectl", "--kubeconfig", cluster.kubeconfig]
    ours = kubectl_batch() + ["--kubeconfig", cluster.kubeconfig]
    say(f"N={n}: warming up")
    wall([*kc, "get", "jobs,cronjobs", "-A"])
    wall([*ours, "next-runs", "-A"])
    out: dict = {
        "n": n,
        "pods": data.pod_count,
        "cronjobs": len(data.cronjobs),
        "server": version,
        "runs": [],
        "link_runs": [],
        "link": str(link) if link else None,
        "k9s_runs": [],
    }
    with contextlib.ExitStack() as stack:
        linked = None
        if link is not None:
            relay = stack.enter_context(Link.to_cluster_of(cluster.kubeconfig, link))
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kbt-link-")))
            linked = str(relay.kubeconfig(cluster.kubeconfig, tmp))
        for r in range(runs):
            where = f"run {r + 1}/{runs}"
            first_idle = idle if r == 0 else 0
            out["runs"].append(
                side_by_side(n, f"{where} loopback", cluster.kubeconfig, client, first_idle)
            )
            if linked:
                out["link_runs"].append(side_by_side(n, f"{where} {link}", linked, client, 0))
            if with_k9s:
                out["k9s_runs"].append(k9s_run(n, cluster.kubeconfig, client, first_idle))
    nr = []
    for _ in range(runs):
        k = wall([*kc, "get", "cronjobs", "-A"])
        o = wall([*ours, "next-runs", "-A"])
        nr.append({"kubectl": k, "ours": o, "ratio": o / k})
    out["next_runs"] = nr
    say(
        f"N={n}: next-runs {median([x['ours'] for x in nr]):.2f} s vs kubectl get cronjobs "
        f"{median([x['kubectl'] for x in nr]):.2f} s"
    )
    cluster.stop()
    return out


def offline(runs: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["KUBECONFIG"] = "/nonexistent"
    ours = kubectl_batch()
    wall([*ours, "--version"], env)
    return {
        "version": [wall([*ours, "--version"], env) for _ in range(runs)],
        "schedule": [
            wall([*ours, "next-runs", "--schedule", SCHEDULE, "--time-zone", "Europe/Berlin"], env)
            for _ in range(runs)
        ],
        "python": [wall([sys.executable, "-c", "pass"], env) for _ in range(runs)],
    }


# ---------------------------------------------------------------------------- output


def machine(server: str) -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except OSError:
        mem = 0
    kubectl = subprocess.run(
        ["kubectl", "version", "--client", "-o", "json"], capture_output=True, text=True
    ).stdout
    kubectl_v = json.loads(kubectl or "{}").get("clientVersion", {}).get("gitVersion", "?")
    from importlib.metadata import version

    return (
        f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, shared with other work; "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}, "
        f"Textual {version('textual')}; Kubernetes {server} (local control plane + KWOK, "
        f"on the same machine); kubectl {kubectl_v}"
    )


def table(results: list[dict], off: dict) -> str:
    rows = [
        "| measure | " + " | ".join(f"N = {r['n']:,}" for r in results) + " | target |",
        "|---|" + "---|" * len(results) + "---|",
    ]

    def add(label: str, fn, target: str) -> None:
        rows.append(f"| {label} | " + " | ".join(fn(r) for r in results) + f" | {target} |")

    def med(r, key):
        return median([run[key] for run in r["runs"]])

    add("objects", lambda r: f"{r['n']:,} Jobs, {r['pods']:,} pods, {r['cronjobs']:,} CronJobs", "")
    add(
        "`kubectl batch -A`: start to every Job and CronJob on screen (all columns but the "
        "pod-derived backoff countdowns; pods still listing)",
        lambda r: f"{med(r, 'all_rows'):.2f} s",
        "",
    )
    add(
        "`kubectl batch -A`: start to first complete table (pods listed too)",
        lambda r: f"{med(r, 'first_table'):.2f} s",
        "",
    )
    add("`kubectl get jobs,cronjobs -A`", lambda r: f"{med(r, 'kubectl_get'):.2f} s", "")
    add("ratio (every row / kubectl)", lambda r: f"**{med(r, 'rows_ratio'):.2f}x**", "≤ 1x at 10k")
    add(
        "ratio (first complete table / kubectl)",
        lambda r: f"**{med(r, 'ratio'):.2f}x**",
        "≤ 2x at 1k and 30k, ≤ 1.5x at 10k",
    )
    add("RSS at first table", lambda r: f"{med(r, 'rss_table_mb'):.0f} MB", "")
    add(
        "peak RSS (VmHWM) over the run",
        lambda r: f"**{med(r, 'rss_peak_mb'):.0f} MB**",
        "≤ 300 MB at 10k, ≤ 800 MB at 30k, below k9s",
    )

    def idle(r, key):
        run = next((x for x in r["runs"] if key in x), None)
        if run is None:
            return "not measured"
        counts = run[key]
        lists = sum(v for k, v in counts.items() if k.startswith("LIST"))
        total = sum(counts.values())
        return f"{total:.0f} request(s), **{lists:.0f} LIST**"

    secs = next(
        (x.get("idle_seconds") for r in results for x in r["runs"] if "idle_seconds" in x), 60
    )
    add(
        f"API requests in {secs:.0f} s idle, counted by the client",
        lambda r: idle(r, "client"),
        "0 LIST",
    )
    add(
        f"apiserver_request_total delta in those {secs:.0f} s (jobs, cronjobs, pods, events; "
        "all clients)",
        lambda r: idle(r, "server"),
        "",
    )

    def lat(r, fn):
        values = [v for run in r["runs"] for v in run["latency_ms"]]
        missed = sum(run["latency_missed"] for run in r["runs"])
        extra = f" ({missed} missed)" if missed else ""
        return f"{fn(values):.0f} ms{extra}"

    def keys(r):
        values = [v for run in r["runs"] for v in run.get("key_ms", [])]
        return f"**{p95(values):.0f} ms** ({len(values)} presses)" if values else "not measured"

    add("cursor key pressed while the tables load → cursor moved on screen, p95", keys, "< 100 ms")
    add("change on server → row on screen, median", lambda r: lat(r, median), "")
    add(
        "change on server → row on screen, p95",
        lambda r: f"**{lat(r, p95)}**",
        "< 150 ms at 10k, below k9s",
    )

    if any(r.get("k9s_runs") for r in results):

        def of_runs(runs, key, fmt):
            values = [run[key] for run in runs if key in run]
            return fmt(median(values)) if values else "not measured"

        def of_k9s(r, key, fmt):
            return of_runs(r.get("k9s_runs") or [], key, fmt)

        add(
            f"k9s {k9s.VERSION} (`k9s -A -c jobs`): start to every Job counted in its view",
            lambda r: of_k9s(r, "all_jobs", lambda v: f"{v:.2f} s"),
            "",
        )
        add(
            "ratio (our every row / k9s)",
            lambda r: (
                f"**{med(r, 'all_rows') / median([x['all_jobs'] for x in r['k9s_runs']]):.2f}x**"
                if r.get("k9s_runs")
                else "not measured"
            ),
            "< 1x",
        )
        add(
            "k9s RSS with every Job / peak",
            lambda r: (
                of_k9s(r, "rss_mb", lambda v: f"{v:.0f} MB")
                + " / "
                + of_k9s(r, "rss_peak_mb", lambda v: f"{v:.0f} MB")
            ),
            "",
        )
        add(
            "CPU while idle, ours (% of one core)",
            lambda r: of_runs(r["runs"], "idle_cpu_percent", lambda v: f"**{v:.1f} %**"),
            "< 2 %",
        )
        add(
            "CPU while idle, k9s (it refreshes on a timer)",
            lambda r: of_k9s(r, "idle_cpu_percent", lambda v: f"{v:.1f} %"),
            "",
        )

        def k9s_lat(r):
            values = [v for run in r.get("k9s_runs") or [] for v in run.get("latency_ms", [])]
            missed = sum(run.get("latency_missed", 0) for run in r.get("k9s_runs") or [])
            extra = f" ({missed} missed)" if missed else ""
            return f"{p95(values):.0f} ms{extra}" if values else "not measured"

        add("k9s change on server → row on screen, p95", k9s_lat, "ours below")

    linked = [r for r in results if r.get("link_runs")]
    if linked:

        def over_link(r, key, fmt):
            runs = r.get("link_runs") or []
            return fmt(median([run[key] for run in runs])) if runs else "not measured"

        profile = linked[0]["link"]
        add(
            f"through a link ({profile}): `kubectl batch -A` to every row",
            lambda r: over_link(r, "all_rows", lambda v: f"{v:.2f} s"),
            "",
        )
        add(
            "… to first complete table",
            lambda r: over_link(r, "first_table", lambda v: f"{v:.2f} s"),
            "",
        )
        add(
            "… `kubectl get jobs,cronjobs -A`",
            lambda r: over_link(r, "kubectl_get", lambda v: f"{v:.2f} s"),
            "",
        )
        add(
            "… ratio (first complete table / kubectl)",
            lambda r: over_link(r, "ratio", lambda v: f"**{v:.2f}x**"),
            "≤ 1.5x",
        )

        def link_lat(r):
            values = [v for run in r.get("link_runs") or [] for v in run["latency_ms"]]
            return f"{p95(values):.0f} ms" if values else "not measured"

        add("… change on server → row on screen, p95", link_lat, "")
    add(
        "`kubectl batch next-runs -A` (1,000 CronJobs)",
        lambda r: f"{median([x['ours'] for x in r['next_runs']]):.2f} s",
        "",
    )
    add(
        "`kubectl get cronjobs -A`",
        lambda r: f"{median([x['kubectl'] for x in r['next_runs']]):.2f} s",
        "",
    )
    add(
        "ratio (next-runs / kubectl)",
        lambda r: f"**{median([x['ratio'] for x in r['next_runs']]):.2f}x**",
        "≤ 1.5x",
    )
    n = len(results)
    rows.append(
        f"| `kubectl-batch --version` (no cluster) | {median(off['version']):.3f} s"
        + " |" * (n - 1)
        + " | |"
    )
    rows.append(
        f"| `kubectl-batch next-runs --schedule '{SCHEDULE}'` (offline) | "
        f"{median(off['schedule']):.3f} s" + " |" * (n - 1) + " | |"
    )
    rows.append(
        f"| `python -c pass` (interpreter alone, for reference) | "
        f"{median(off['python']):.3f} s" + " |" * (n - 1) + " | |"
    )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="Job counts (default 1000,10000)")
    parser.add_argument("--runs", type=int, default=5, help="runs per size (default 5)")
    parser.add_argument("--idle", type=float, default=60, help="idle seconds counted (0: skip)")
    parser.add_argument("--workers", type=int, default=24, help="parallel requests when loading")
    parser.add_argument(
        "--link",
        default="100mbit:25ms",
        help="also measure through a link of this bandwidth and one-way delay "
        "(default 100mbit:25ms; 'none': loopback only)",
    )
    parser.add_argument(
        "--no-k9s", action="store_true", help=f"do not measure k9s {k9s.VERSION} beside us"
    )
    parser.add_argument("--json", help="also write the raw results here")
    parser.add_argument("--down", action="store_true", help="delete the benchmark clusters")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    try:
        link = None if args.link == "none" else LinkProfile.parse(args.link)
    except ValueError as exc:
        parser.error(str(exc))
    if args.down:
        for n in sizes:
            BenchCluster(n).down()
        return 0
    if not args.no_k9s:
        k9s.build()
    with_bytecode()
    results = []
    for n in sizes:
        results.append(bench_size(n, args.runs, args.idle, args.workers, link, not args.no_k9s))
    off = offline(max(args.runs, 10))
    text = table(results, off)
    print(f"Machine: {machine(results[0]['server'])}\n")
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "offline": off}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
