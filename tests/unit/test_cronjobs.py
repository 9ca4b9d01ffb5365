"""CronJob outlook: what the controller does next, with a frozen clock."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest
from fixtures.tui_fakes import recorded

from kubectl_batch.domain.cronjobs import CronState, cronjob_outlook, owned_jobs
from kubectl_batch.domain.jobs import controller_of, jobs_by_cronjob, owner_cronjob


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def cronjob(
    schedule="0 9 * * 1-5", *, tz=None, last=None, created="2026-03-01T00:00:00Z", active=(), **spec
) -> dict:
    cj = {
        "metadata": {
            "name": "report",
            "namespace": "etl",
            "uid": "u-1",
            "creationTimestamp": created,
        },
        "spec": {"schedule": schedule, **spec},
        "status": {},
    }
    if tz:
        cj["spec"]["timeZone"] = tz
    if last:
        cj["status"]["lastScheduleTime"] = last
    if active:
        cj["status"]["active"] = [{"kind": "Job", "name": n} for n in active]
    return cj


def test_next_runs_follow_the_zone_across_daylight_saving():
    o = cronjob_outlook(
        cronjob(tz="Europe/Berlin", last="2026-03-26T08:00:00Z"), utc("2026-03-27T00:00:30Z")
    )
    assert o.state is CronState.SCHEDULED
    assert [t.isoformat() for t in o.next_runs] == [
        "2026-03-27T08:00:00+00:00",
        "2026-03-30T07:00:00+00:00",
        "2026-03-31T07:00:00+00:00",
    ]


def test_anchor_is_creation_time_before_the_first_run():
    o = cronjob_outlook(
        cronjob("*/10 * * * *", created="2026-03-27T00:03:00Z"), utc("2026-03-27T00:05:00Z")
    )
    assert o.next_run == utc("2026-03-27T00:10:00Z")


def test_every_counts_from_the_last_run_not_from_the_clock():
    o = cronjob_outlook(
        cronjob("@every 7m", last="2026-03-27T00:00:10Z"), utc("2026-03-27T00:00:30Z")
    )
    assert o.next_runs[:2] == (utc("2026-03-27T00:07:10Z"), utc("2026-03-27T00:14:10Z"))


def test_a_fire_time_just_passed_is_due_now():
    o = cronjob_outlook(
        cronjob("0 * * * *", last="2026-03-27T09:00:00Z"), utc("2026-03-27T10:00:00.400Z")
    )
    assert o.state is CronState.DUE
    assert o.pending_run == utc("2026-03-27T10:00:00Z")
    assert o.next_run == utc("2026-03-27T11:00:00Z")


def test_forbid_with_an_active_job_blocks_the_due_run():
    o = cronjob_outlook(
        cronjob(
            "0 * * * *",
            last="2026-03-27T09:00:00Z",
            active=["report-29"],
            concurrencyPolicy="Forbid",
        ),
        utc("2026-03-27T10:00:05Z"),
    )
    assert o.state is CronState.BLOCKED
    assert "waits for job report-29" in o.reason


def test_forbid_with_an_active_job_warns_the_next_run_may_be_skipped():
    o = cronjob_outlook(
        cronjob(
            "0 * * * *",
            last="2026-03-27T10:00:00Z",
            active=["report-29"],
            concurrencyPolicy="Forbid",
        ),
        utc("2026-03-27T10:20:00Z"),
    )
    assert o.state is CronState.SCHEDULED
    assert "skipped if job report-29 is still active" in o.reason


def test_run_older_than_the_starting_deadline_is_missed():
    o = cronjob_outlook(
        cronjob("0 9 * * *", last="2026-03-25T09:00:00Z", startingDeadlineSeconds=60),
        utc("2026-03-26T09:05:00Z"),
    )
    assert o.state is CronState.MISSED
    assert o.pending_run == utc("2026-03-26T09:00:00Z")
    assert "startingDeadlineSeconds (60s)" in o.reason
    assert o.next_run == utc("2026-03-27T09:00:00Z")


def test_suspended_shows_no_next_run_and_what_resuming_does():
    o = cronjob_outlook(
        cronjob("0 9 * * *", last="2026-03-25T09:00:00Z", suspend=True), utc("2026-03-26T10:00:00Z")
    )
    assert o.state is CronState.SUSPENDED and o.next_runs == ()
    assert "resuming runs the missed 2026-03-26 09:00 UTC run at once" in o.reason


def test_schedule_that_never_fires():
    o = cronjob_outlook(cronjob("0 0 30 2 *"), utc("2026-03-26T10:00:00Z"))
    assert o.state is CronState.NEVER and o.next_runs == ()


@pytest.mark.parametrize("schedule,tz", [("0 0 L * *", None), ("0 9 * * *", "Mars/Olympus")])
def test_invalid_schedule_or_zone_is_a_row_state_not_a_crash(schedule, tz):
    o = cronjob_outlook(cronjob(schedule, tz=tz), utc("2026-03-26T10:00:00Z"))
    assert o.state is CronState.INVALID and o.reason


def _recorded_cronjob_and_jobs():
    data = recorded()
    cj = next(c for c in data["cronjobs"] if c["metadata"]["name"] == "db-backup")
    return cj, copy.deepcopy(data["jobs"])


def test_owned_jobs_are_the_controllers_own_by_uid():
    cj, jobs = _recorded_cronjob_and_jobs()
    jobs.reverse()  # newest first: owned_jobs sorts them
    owned = [j["metadata"]["name"] for j in owned_jobs(cj, jobs)]
    assert owned == ["db-backup-29922055", "db-backup-29922056"]


def _with_ref(job, **change):
    job = copy.deepcopy(job)
    ref = job["metadata"]["ownerReferences"][0]
    for key, value in change.items():
        if value is None:
            ref.pop(key, None)
        else:
            ref[key] = value
    return job


@pytest.mark.parametrize(
    "change",
    [
        {"controller": "true"},  # a string, not the boolean the API server writes
        {"controller": 1},
        {"controller": False},
        {"controller": None},
        {"kind": "Job"},  # the same uid, but not a CronJob
        {"kind": "Workflow", "apiVersion": "argoproj.io/v1alpha1"},
        {"apiVersion": "example.com/v1"},  # a CronJob of another group
    ],
)
def test_only_a_cronjob_controller_reference_owns_a_job(change):
    """One rule for every place that asks which Jobs a CronJob owns (the main table,
    the CronJob detail, the delete preview and the delete plan): ``controller`` is the
    boolean true, the kind CronJob, the group batch."""
    cj, jobs = _recorded_cronjob_and_jobs()
    uid = cj["metadata"]["uid"]
    mine = next(j for j in jobs if controller_of(j) == uid)
    assert owner_cronjob(mine) == "db-backup"
    odd = _with_ref(mine, **change)
    assert controller_of(odd) is None
    assert owner_cronjob(odd) is None
    # By identity: {"controller": 1} == {"controller": True} in Python.
    assert [j is mine for j in owned_jobs(cj, [odd, mine])] == [True]
    assert {k: [j is mine for j in v] for k, v in jobs_by_cronjob([odd, mine]).items()} == {
        uid: [True]
    }


def test_a_job_without_owner_references_has_no_controller():
    _, jobs = _recorded_cronjob_and_jobs()
    plain = next(j for j in jobs if not j["metadata"].get("ownerReferences"))
    assert controller_of(plain) is None
    assert controller_of({}) is None
    assert plain not in [j for v in jobs_by_cronjob(jobs).values() for j in v]


def test_a_schedule_robfig_would_loop_on_is_reported_not_hung():
    # Pacific/Apia skipped 2011-12-30: robfig's Next never returns for this one.
    o = cronjob_outlook(
        cronjob("0 0 1 * *", tz="Pacific/Apia", created="2011-12-29T00:00:00Z"),
        utc("2011-12-29T12:00:00Z"),
    )
    assert o.state is CronState.NEVER and o.reason
