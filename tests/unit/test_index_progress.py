from __future__ import annotations

import time
from datetime import timedelta

import pytest
from builders import NOW, ago, condition, container_status, job, pod

from kubectl_batch.domain.clock import frozen_clock
from kubectl_batch.domain.index_progress import IndexProgress, IndexState, index_progress
from kubectl_batch.domain.timeutil import format_countdown

clock = frozen_clock(NOW)
S = IndexState


def failed(j: dict, seconds_ago: float, **kw) -> dict:
    return pod(j, phase="Failed", finished=ago(seconds=seconds_ago), **kw)


def as_text(p: IndexProgress) -> dict[str, str]:
    return {s.value: str(ixs) for s, ixs in p.states.items() if ixs}


def test_per_index_job_states() -> None:
    j = job(indexed=True, completions=12, parallelism=4, backoff_limit_per_index=2,
            start=ago(minutes=10), completed_indexes="0-2,5", failed_indexes="7",
            succeeded=4, failed=5, active=2)  # fmt: skip
    pods = [
        pod(j, index=3, phase="Running", failure_count=1),
        failed(j, 90, index=3, failure_count=0, finalizer=False),
        pod(j, index=4, phase="Pending"),
        failed(j, 4, index=6, failure_count=0, exit_code=137, reason="OOMKilled"),
        failed(j, 300, index=8, failure_count=1),  # backoff expired: waiting for a slot
        pod(j, index=9, phase="Running", deletion=ago(seconds=2)),
        pod(j, index=11, phase="Succeeded", finished=ago(seconds=1)),  # not counted yet
        failed(j, 400, index=7, failure_count=2, finalizer=False),
    ]
    p = index_progress(j, pods, clock)
    assert as_text(p) == {
        "succeeded": "0-2,5,11",
        "failed": "7",
        "running": "3",
        "pending": "4",
        "terminating": "9",
        "backing-off": "6",
        "waiting": "8",
        "not-started": "10",
    }
    assert sum(p.counts().values()) == 12
    assert p.state_of(10) is S.NOT_STARTED
    assert p.state_of(6) is S.BACKING_OFF

    d6 = p.detail(6)
    assert d6.backoff is not None
    assert format_countdown(d6.backoff.remaining(clock)) == "6s"
    assert d6.attempt_count == 1 and d6.failures == 1
    last = d6.last_attempt
    assert last is not None
    assert (last.exit_code, last.reason, last.container) == (137, "OOMKilled", "main")
    assert p.next_backoff_expiry == ago(seconds=4) + timedelta(seconds=10)

    d3 = p.detail(3)
    assert d3.state is S.RUNNING
    assert [a.number for a in d3.attempts] == [1, 2]
    assert [a.phase for a in d3.attempts] == ["Failed", "Running"]
    assert d3.attempt_count == 2 and d3.failures == 1
    assert d3.failed_attempts[0].exit_code == 1

    d7 = p.detail(7)
    assert d7.state is S.FAILED and d7.failures == 3 and d7.attempt_count == 3

    # runs cover [0, completions) in order
    runs = list(p.runs())
    assert runs[0] == (0, 2, S.SUCCEEDED)
    assert runs[-1] == (11, 11, S.SUCCEEDED)
    assert sum(last - first + 1 for first, last, _ in runs) == 12
    assert [d.index for d in p.details()] == [3, 4, 6, 7, 8, 9, 11]
    assert str(p.indexes_with_pods) == "3,4,6-9,11"


def test_expired_backoff_is_waiting() -> None:
    j = job(indexed=True, completions=2, parallelism=2, backoff_limit_per_index=3,
            start=ago(minutes=5))  # fmt: skip
    p = index_progress(j, [failed(j, 11, index=0, failure_count=0)], clock)
    assert p.state_of(0) is S.WAITING
    assert p.backoffs == {}
    assert p.detail(0).backoff is None


def test_parallelism_full_is_waiting_not_backing_off() -> None:
    j = job(indexed=True, completions=4, parallelism=1, backoff_limit_per_index=3,
            start=ago(minutes=5))  # fmt: skip
    pods = [failed(j, 2, index=0, failure_count=0), pod(j, index=1, phase="Running")]
    p = index_progress(j, pods, clock)
    assert as_text(p) == {"running": "1", "waiting": "0", "not-started": "2,3"}
    assert p.next_backoff_expiry is None


def test_finished_job_leaves_incomplete_indexes() -> None:
    j = job(indexed=True, completions=6, parallelism=2, start=ago(minutes=5),
            completed_indexes="0,1", succeeded=2, failed=7,
            conditions=[condition("FailureTarget", reason="BackoffLimitExceeded"),
                        condition("Failed", reason="BackoffLimitExceeded")])  # fmt: skip
    pods = [failed(j, 20, index=2, finalizer=False), failed(j, 8, index=3, finalizer=False)]
    p = index_progress(j, pods, clock)
    assert as_text(p) == {"succeeded": "0,1", "incomplete": "2,3", "not-started": "4,5"}
    assert p.next_backoff_expiry is None


def test_whole_job_backoff_marks_retried_indexes() -> None:
    # no backoffLimitPerIndex: the Job-level delay (2 failures since last success: 20 s)
    j = job(indexed=True, completions=5, parallelism=2, start=ago(minutes=5),
            completed_indexes="0", succeeded=1, failed=2)  # fmt: skip
    pods = [
        pod(j, index=0, phase="Succeeded", finished=ago(seconds=100), finalizer=False),
        failed(j, 30, index=1, finalizer=False),
        failed(j, 5, index=2),
    ]
    p = index_progress(j, pods, clock)
    assert as_text(p) == {"succeeded": "0", "backing-off": "1,2", "not-started": "3,4"}
    assert p.job_backoff is not None and p.job_backoff.failures == 2
    d = p.detail(2)
    assert d.backoff is p.job_backoff
    assert format_countdown(d.backoff.remaining(clock)) == "15s"
    assert d.attempt_count == 1 and d.attempts[0].number is None  # no annotations


def test_suspended_job_has_no_backoff() -> None:
    j = job(indexed=True, completions=3, parallelism=3, backoff_limit_per_index=1,
            suspend=True, conditions=[condition("Suspended", reason="JobSuspended")])  # fmt: skip
    p = index_progress(j, [failed(j, 3, index=1, failure_count=0)], clock)
    assert p.state_of(1) is S.INCOMPLETE
    assert p.backoffs == {}


def test_failure_reasons_of_attempts() -> None:
    j = job(indexed=True, completions=2, parallelism=1, backoff_limit_per_index=5,
            start=ago(minutes=30))  # fmt: skip
    evicted = pod(j, index=0, phase="Failed", pod_reason="Evicted", failure_count=0,
                  finalizer=False, containers=[])  # fmt: skip
    evicted["status"]["message"] = "The node was low on resource: memory."
    oom = pod(j, index=0, phase="Failed", failure_count=1, containers=[
        container_status("sidecar", exit_code=0, finished=ago(seconds=3)),
        container_status("main", exit_code=137, reason="OOMKilled", finished=ago(seconds=3)),
    ])  # fmt: skip
    p = index_progress(j, [oom, evicted], clock)
    d = p.detail(0)
    assert d.state is S.BACKING_OFF
    assert d.attempt_count == 2 and d.failures == 2
    first, second = d.attempts
    assert (first.reason, first.exit_code) == ("Evicted", None)
    assert first.message == "The node was low on resource: memory."
    assert (second.reason, second.exit_code, second.container) == ("OOMKilled", 137, "main")
    assert format_countdown(d.backoff.remaining(clock)) == "17s"  # n=2: 20 s from 3 s ago


def test_foreign_and_unindexed_pods() -> None:
    j = job(indexed=True, completions=3, parallelism=3, start=ago(minutes=1))
    other = job(name="other", indexed=True, completions=3)
    stray = pod(j, index=None, phase="Running")
    beyond = pod(j, index=7, phase="Running")
    p = index_progress(j, [pod(other, index=0), stray, beyond, pod(j, index=1)], clock)
    assert as_text(p) == {"running": "1", "not-started": "0,2"}
    assert len(p.unindexed_pods) == 2


def test_not_indexed_is_an_error() -> None:
    with pytest.raises(ValueError):
        IndexProgress(job(), [], clock)


def test_state_of_out_of_range() -> None:
    p = index_progress(job(indexed=True, completions=3), [], clock)
    with pytest.raises(IndexError):
        p.state_of(3)


def test_three_hundred_thousand_completions_stay_compressed() -> None:
    n = 300_000
    j = job(indexed=True, completions=n, parallelism=2000, backoff_limit_per_index=1,
            max_failed_indexes=10_000, start=ago(hours=3), completed_indexes="0-199999",
            failed_indexes="250000,250001", succeeded=200_000)  # fmt: skip
    pods = [pod(j, index=200_000 + i, phase="Running", finalizer=True) for i in range(1000)]
    pods += [failed(j, 2, index=201_000 + i, failure_count=0) for i in range(50)]
    t0 = time.perf_counter()
    p = index_progress(j, pods, clock)
    elapsed = time.perf_counter() - t0
    assert as_text(p) == {
        "succeeded": "0-199999",
        "failed": "250000,250001",
        "running": "200000-200999",
        "backing-off": "201000-201049",
        "not-started": "201050-249999,250002-299999",
    }
    assert p.counts()[S.NOT_STARTED] == n - 200_000 - 2 - 1000 - 50
    assert all(ixs.range_count <= 2 for ixs in p.states.values())
    assert len(list(p.runs())) == 6
    assert p.state_of(299_999) is S.NOT_STARTED
    assert p._details == {}  # nothing computed per index until asked
    assert p.detail(201_000).backoff is not None
    assert elapsed < 2.0
