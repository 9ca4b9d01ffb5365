"""`kubectl batch next-runs` predicts what the real CronJob controller then does."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import yaml
from conftest import cronjob_manifest, kubectl_batch

SCHEDULED_AT = "batch.kubernetes.io/cronjob-scheduled-timestamp"


def cronjob(name: str, schedule: str, *, outcome: str = "succeed", suspend=False, **spec):
    return cronjob_manifest(
        name,
        schedule,
        suspend=suspend,
        cron_spec=spec,
        annotations={"test.kubectl-batch.io/outcome": outcome},
    )


def kubectl_batch_next_runs(cluster, namespace: str, *args: str) -> subprocess.CompletedProcess:
    return kubectl_batch(cluster, namespace, "next-runs", *args, timeout=30)


def next_runs(cluster, namespace: str, *args: str) -> dict:
    done = kubectl_batch_next_runs(cluster, namespace, "-o", "json", *args)
    assert done.returncode == 0, done.stderr
    return {item["name"]: item for item in json.loads(done.stdout)["items"]}


def scheduled_at(job: dict) -> datetime:
    """The fire time the controller stamped on a Job (RFC 3339 in the CronJob's zone)."""
    return datetime.fromisoformat(
        job["metadata"]["annotations"][SCHEDULED_AT].replace("Z", "+00:00")
    )


def instant(rfc3339: str) -> datetime:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))


def jobs_of(kubectl, cronjob_name: str) -> list[dict]:
    jobs = [
        j
        for j in kubectl.items("jobs")
        if any(r["name"] == cronjob_name for r in j["metadata"].get("ownerReferences", []))
    ]
    return sorted(jobs, key=scheduled_at)


def test_controller_fires_when_next_runs_says(kubectl, cluster, namespace):
    now = datetime.now(timezone.utc)
    if now.second > 50:  # keep the first boundary from racing the creation below
        import time

        time.sleep(61 - now.second)
        now = datetime.now(timezone.utc)
    # A minute that comes next in Kolkata (UTC+05:30) but is half an hour away in UTC:
    # only the time zone decides whether it fires at the next boundary.
    kolkata_minute = ((now + timedelta(minutes=1)).minute + 30) % 60
    kubectl.apply(
        cronjob("every", "* * * * *"),
        cronjob("paused", "* * * * *", suspend=True),
        cronjob("forbid", "* * * * *", outcome="run", concurrencyPolicy="Forbid"),
        cronjob("kolkata", f"{kolkata_minute} * * * *", timeZone="Asia/Kolkata"),
    )
    predicted = next_runs(cluster, namespace, "--count", "2")
    assert predicted["paused"]["nextRuns"] == []
    assert predicted["paused"]["state"] == "suspended"
    first_boundary = predicted["every"]["nextRuns"][0]
    assert predicted["kolkata"]["nextRuns"][0] == first_boundary

    kubectl.wait_for(
        lambda: all(jobs_of(kubectl, n) for n in ("every", "forbid", "kolkata")),
        timeout=90,
        what="the first fire time",
    )
    for name in ("every", "forbid", "kolkata"):
        job = jobs_of(kubectl, name)[0]
        assert scheduled_at(job) == instant(first_boundary)
    assert jobs_of(kubectl, "paused") == []

    # Forbid with its first Job still running: the next run will be skipped, and says so.
    kubectl.wait_for(
        lambda: kubectl.get("cronjob", "forbid").get("status", {}).get("active"),
        what="forbid's job to be active",
    )
    during = next_runs(cluster, namespace)
    assert "skipped" in during["forbid"]["reason"]
    assert during["forbid"]["active"] == [jobs_of(kubectl, "forbid")[0]["metadata"]["name"]]

    second_boundary = predicted["every"]["nextRuns"][1]
    kubectl.wait_for(
        lambda: len(jobs_of(kubectl, "every")) >= 2, timeout=90, what="the second fire time"
    )
    assert scheduled_at(jobs_of(kubectl, "every")[1]) == instant(second_boundary)
    kubectl.wait_for(
        lambda: any(
            e["reason"] == "JobAlreadyActive"
            for e in kubectl.items("events")
            if e["involvedObject"]["name"] == "forbid"
        ),
        timeout=30,
        what="the controller to skip forbid's run",
    )
    assert len(jobs_of(kubectl, "forbid")) == 1
    assert jobs_of(kubectl, "paused") == []
    # What a blocked run looks like to us once the controller has skipped it.
    blocked = next_runs(cluster, namespace)["forbid"]
    assert blocked["state"] in ("blocked", "scheduled")
    assert blocked["reason"]


def test_live_rows_show_invalid_schedules_without_failing(kubectl, cluster, namespace):
    # The API accepts "0 0 30 2 *" (it parses) although it never fires.
    kubectl.apply(cronjob("never", "0 0 30 2 *"), cronjob("fine", "0 0 * * *"))
    got = next_runs(cluster, namespace)
    assert got["never"]["state"] == "never" and got["never"]["nextRuns"] == []
    assert got["fine"]["nextRuns"]


def test_after_replaces_now_for_live_cronjobs(kubectl, cluster, namespace):
    kubectl.apply(cronjob("weekday", "0 9 * * 1-5", timeZone="Europe/Berlin"))
    got = next_runs(cluster, namespace, "--after", "2030-03-29T00:00:00Z", "--count", "3")
    # 2030-03-31 is the EU switch to summer time: 09:00 CET = 08:00Z, CEST = 07:00Z.
    assert got["weekday"]["nextRuns"] == [
        "2030-03-29T08:00:00Z",
        "2030-04-01T07:00:00Z",
        "2030-04-02T07:00:00Z",
    ]


def test_names_not_found_fail_but_found_ones_print(kubectl, cluster, namespace):
    kubectl.apply(cronjob("present", "0 0 * * *", timeZone="UTC"))  # (no warning to print)
    done = kubectl_batch_next_runs(cluster, namespace, "present", "absent")
    assert done.returncode == 1
    assert done.stdout.splitlines()[1].startswith("present ")
    assert done.stderr.strip() == 'error: cronjobs.batch "absent" not found'


# --------------------------------------------------------------------------
# Schedules in words and their warnings, on real CronJobs
# --------------------------------------------------------------------------


def test_a_cronjob_with_a_warning_shows_it(kubectl, cluster, namespace):
    kubectl.apply(
        cronjob("first-monday", "0 2 1-7 * 1", timeZone="Asia/Seoul"),
        cronjob("clean", "0 9 * * 1-5", timeZone="Europe/Berlin"),
    )
    table = kubectl_batch_next_runs(cluster, namespace, "-o", "wide")
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert "DESCRIPTION" in header
    row = next(r for r in rows if r.startswith("first-monday "))
    assert row.endswith("At 02:00, between day 1 and 7 of the month, or on any Monday (Asia/Seoul)")
    warnings = table.stderr.splitlines()
    assert len(warnings) == 1
    assert warnings[0].startswith(
        f"Warning: cronjob {namespace}/first-monday: both day fields are restricted, "
        "so it fires when EITHER matches"
    )
    items = next_runs(cluster, namespace)
    assert [f["code"] for f in items["first-monday"]["findings"]] == ["DayFieldsEither"]
    assert items["clean"]["findings"] == []
    assert kubectl_batch_next_runs(cluster, namespace, "--strict").returncode == 1


# Schedules and zones the API server must judge as `next-runs -f` does.
VERDICTS = [
    ("0 2 1-7 * 1", None),
    ("0 0 L * *", None),
    ("0 0 * * 1#1", None),
    ("0 0 * * 7", None),
    ("0 0 0 * * *", None),
    ("CRON_TZ=UTC 0 0 * * *", None),
    ("@hourly\n", None),
    ("0 0 * * *\t", None),
    ("0\u200b 0 * * *", None),
    ("@every 90m", None),
    ("0 0 * * *", "Asia/Seoul\u200b"),
    ("0 0 * * *", "Mars/Base"),
    ("0 0 * * *", "America/New_York"),
]


def test_f_rejects_exactly_what_the_api_server_rejects(kubectl, cluster, namespace, tmp_path):
    for i, (schedule, zone) in enumerate(VERDICTS):
        spec = {"timeZone": zone} if zone else {}
        obj = cronjob(f"verdict-{i}", schedule, **spec)
        path = tmp_path / f"cj{i}.yaml"
        path.write_text(yaml.safe_dump(obj))
        server = kubectl.run("apply", "--dry-run=server", "-f", str(path), check=False)
        ours = subprocess.run(
            [sys.executable, "-m", "kubectl_batch", "next-runs", "-f", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert (ours.returncode == 0) == (server.returncode == 0), (schedule, zone, server.stderr)
        errors = [line for line in ours.stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == (0 if server.returncode == 0 else 1), ours.stderr
