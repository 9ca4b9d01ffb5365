from __future__ import annotations

from datetime import timedelta

import pytest
from builders import NOW, ago, condition, container_status, job, pod

from kubectl_batch.domain.backoff import (
    backoff_delay,
    index_backoff,
    index_backoffs,
    is_backing_off,
    job_backoff,
    next_pod_time,
    pod_finished_time,
    remaining_seconds,
    wants_more_pods,
)
from kubectl_batch.domain.clock import frozen_clock
from kubectl_batch.domain.timeutil import format_countdown

clock = frozen_clock(NOW)


@pytest.mark.parametrize(
    ("n", "seconds"),
    [(0, 0), (1, 10), (2, 20), (3, 40), (4, 80), (5, 160), (6, 320), (7, 600), (8, 600),
     (50, 600)],
)  # fmt: skip
def test_delay_doubles_from_10s_and_caps_at_600s(n: int, seconds: int) -> None:
    assert backoff_delay(n) == timedelta(seconds=seconds)


# ------------------------------------------------------------ finish time


def test_finish_time_is_latest_container_finished_at() -> None:
    j = job()
    p = pod(j, phase="Failed", containers=[
        container_status("a", exit_code=1, finished=ago(seconds=30)),
        container_status("b", exit_code=0, finished=ago(seconds=12)),
    ], ready_false_at=ago(seconds=5), deletion=ago(seconds=1))  # fmt: skip
    assert pod_finished_time(p) == ago(seconds=12)


def test_finish_time_ready_false_when_a_container_has_not_terminated() -> None:
    j = job()
    p = pod(j, phase="Failed", containers=[
        container_status("a", exit_code=1, finished=ago(seconds=30)),
        container_status("b", waiting="ContainerCreating"),
    ], ready_false_at=ago(seconds=20))  # fmt: skip
    assert pod_finished_time(p) == ago(seconds=20)


def test_finish_time_ready_true_is_ignored_falls_to_deletion_minus_grace() -> None:
    j = job()
    p = pod(j, phase="Running", deletion=ago(seconds=10), grace=30)
    # Ready=True condition, container running: deletionTimestamp - grace period
    assert pod_finished_time(p) == ago(seconds=40)


def test_finish_time_falls_back_to_creation() -> None:
    j = job()
    p = pod(j, phase="Failed", created=ago(minutes=7), containers=[])
    assert pod_finished_time(p) == ago(minutes=7)


def test_finish_time_includes_sidecars_not_plain_init_containers() -> None:
    j = job()
    p = pod(
        j,
        phase="Succeeded",
        containers=[container_status("main", exit_code=0, finished=ago(seconds=30))],
        init_containers=[
            {"name": "setup", "image": "busybox"},
            {"name": "proxy", "image": "envoy", "restartPolicy": "Always"},
        ],
        init_statuses=[
            container_status("setup", exit_code=0, finished=ago(seconds=2)),
            container_status("proxy", exit_code=0, finished=ago(seconds=25)),
        ],
    )
    assert pod_finished_time(p) == ago(seconds=25)
    # a sidecar still running: rule 1 does not apply at all
    p["status"]["initContainerStatuses"][1] = container_status("proxy", running_since=ago(60))
    assert pod_finished_time(p) == ago(minutes=2)  # creationTimestamp


# ------------------------------------------------------------- whole Job


def failed(j: dict, seconds_ago: float, **kw) -> dict:
    return pod(j, phase="Failed", finished=ago(seconds=seconds_ago), **kw)


def test_whole_job_backoff_counts_failures_since_last_success() -> None:
    j = job(completions=5, parallelism=1, start=ago(minutes=10), succeeded=1, failed=3, active=0)
    pods = [
        failed(j, 300),  # before the success: not counted
        pod(j, phase="Succeeded", finished=ago(seconds=200), finalizer=False),
        failed(j, 100, finalizer=False),
        failed(j, 25),
    ]
    b = job_backoff(j, pods)
    assert b is not None
    assert b.failures == 2
    assert b.delay == timedelta(seconds=20)
    assert b.until == ago(seconds=5)  # 25 s ago + 20 s
    assert remaining_seconds(b.until, clock) == 0.0
    assert not is_backing_off(b.until, clock)
    # 1 s later on the wall clock with another recent failure: 3 failures, 40 s
    pods.append(failed(j, 4))
    b = job_backoff(j, pods)
    assert b is not None and b.failures == 3
    assert b.until == ago(seconds=4) + timedelta(seconds=40)
    assert remaining_seconds(b.until, clock) == 36.0
    assert format_countdown(b.remaining(clock)) == "36s"
    assert next_pod_time(j, pods) == b.until


def test_whole_job_backoff_cap() -> None:
    j = job(completions=1, backoff_limit=20, start=ago(hours=1), failed=9)
    pods = [failed(j, 1 + i * 300) for i in range(9)]  # latest failed 1 s ago
    b = job_backoff(j, pods)
    assert b is not None and b.failures == 9
    assert b.delay == timedelta(minutes=10)  # not 10 s * 2**8
    assert b.until == ago(seconds=1) + timedelta(minutes=10)
    assert format_countdown(b.remaining(clock)) == "9m59s"


def test_no_failures_no_backoff() -> None:
    j = job(completions=2, start=ago(minutes=1), succeeded=1)
    pods = [pod(j, phase="Succeeded", finished=ago(seconds=10))]
    assert job_backoff(j, pods) is None
    assert next_pod_time(j, pods) is None


def test_pods_deleted_by_the_controller_are_not_failures() -> None:
    # suspend/scale-down: finalizer removed before the delete
    j = job(completions=3, parallelism=1, start=ago(minutes=1))
    pods = [pod(j, phase="Running", finalizer=False, deletion=ago(seconds=3))]
    assert job_backoff(j, pods) is None
    # deleted by a user while it still had the finalizer: a failure
    pods = [pod(j, phase="Running", deletion=ago(seconds=3), grace=0)]
    b = job_backoff(j, pods)
    assert b is not None and b.failures == 1 and b.until == ago(seconds=3) + timedelta(seconds=10)


def test_terminating_pod_is_not_a_failure_with_pod_replacement_policy_failed() -> None:
    j = job(completions=3, start=ago(minutes=1), pod_replacement_policy="Failed")
    pods = [pod(j, phase="Running", deletion=ago(seconds=3))]
    assert job_backoff(j, pods) is None


@pytest.mark.parametrize(
    "variant",
    ["suspended", "complete", "failed", "failure_target", "deleting", "parallelism_full",
     "managed_elsewhere", "parallelism_zero"],
)  # fmt: skip
def test_not_backing_off_when_no_pods_wanted(variant: str) -> None:
    kw: dict = {"completions": 4, "parallelism": 1, "start": ago(minutes=5), "failed": 1}
    if variant == "suspended":
        kw["suspend"] = True
        kw["conditions"] = [condition("Suspended", reason="JobSuspended")]
    elif variant == "complete":
        kw["conditions"] = [condition("Complete", reason="CompletionsReached")]
    elif variant == "failed":
        kw["conditions"] = [condition("Failed", reason="BackoffLimitExceeded")]
    elif variant == "failure_target":
        kw["conditions"] = [condition("FailureTarget", reason="DeadlineExceeded")]
    elif variant == "deleting":
        kw["deletion"] = ago(seconds=1)
    elif variant == "parallelism_zero":
        kw["parallelism"] = 0
    j = job(**kw)
    if variant == "managed_elsewhere":
        j["spec"]["managedBy"] = "kueue.x-k8s.io/multikueue"
    pods = [failed(j, 5)]
    if variant == "parallelism_full":
        pods.append(pod(j, phase="Running"))
    assert not wants_more_pods(j, pods)
    assert job_backoff(j, pods) is None
    assert next_pod_time(j, pods) is None


def test_wants_more_pods_from_status_only() -> None:
    assert wants_more_pods(job(completions=3, parallelism=2, active=1, succeeded=1))
    assert not wants_more_pods(job(completions=3, parallelism=2, active=2, succeeded=1))
    assert not wants_more_pods(job(completions=3, parallelism=2, active=0, succeeded=3))
    # no completions: done once any pod succeeded
    assert not wants_more_pods(job(completions=None, parallelism=3, active=0, succeeded=1))
    assert wants_more_pods(job(completions=None, parallelism=3, active=2, succeeded=0))


# -------------------------------------------------------------- per index


def per_index_job(**kw) -> dict:
    base = {"indexed": True, "completions": 5, "parallelism": 5, "backoff_limit_per_index": 6,
            "start": ago(minutes=10)}  # fmt: skip
    base.update(kw)
    return job(**base)


def test_per_index_n_is_failure_plus_ignored_count_plus_one() -> None:
    j = per_index_job()
    p = failed(j, 30, index=2, failure_count=2, ignored_failure_count=1)
    b = index_backoff(j, 2, [p])
    assert b is not None
    assert b.failures == 4
    assert b.delay == timedelta(seconds=80)
    assert b.index == 2 and b.pod_name == p["metadata"]["name"]
    assert remaining_seconds(b.until, clock) == 50.0
    assert format_countdown(b.remaining(clock)) == "50s"


def test_per_index_first_failure_waits_10s() -> None:
    j = per_index_job()
    b = index_backoff(j, 0, [failed(j, 4, index=0, failure_count=0)])
    assert b is not None and b.failures == 1 and remaining_seconds(b.until, clock) == 6.0


def test_per_index_uses_the_latest_failed_pod() -> None:
    j = per_index_job()
    pods = [
        failed(j, 200, index=1, failure_count=0, finalizer=False),
        failed(j, 60, index=1, failure_count=1),
    ]
    b = index_backoff(j, 1, pods)
    assert b is not None and b.failures == 2 and b.until == ago(seconds=40)


def test_per_index_cap() -> None:
    j = per_index_job(backoff_limit_per_index=20)
    b = index_backoff(j, 3, [failed(j, 1, index=3, failure_count=12)])
    assert b is not None and b.delay == timedelta(seconds=600)


def test_per_index_none_when_index_active_succeeded_failed_or_counted() -> None:
    j = per_index_job(failed_indexes="4", completed_indexes="3")
    assert index_backoff(j, 2, [failed(j, 5, index=2), pod(j, index=2)]) is None  # replaced
    assert index_backoff(j, 3, [failed(j, 5, index=3)]) is None  # completed
    assert index_backoff(j, 4, [failed(j, 5, index=4)]) is None  # failed index
    assert index_backoff(j, 1, [failed(j, 5, index=1, finalizer=False)]) is None  # released
    # failure-count reached the limit: the index fails, no retry
    assert index_backoff(j, 0, [failed(j, 5, index=0, failure_count=6)]) is None


@pytest.mark.parametrize("kw", [{"suspend": True}, {"conditions": [condition("Failed")]}])
def test_per_index_none_when_suspended_or_finished(kw: dict) -> None:
    j = per_index_job(**kw)
    assert index_backoffs(j, [failed(j, 5, index=0)]) == {}


def test_next_pod_time_per_index_waits_for_the_earliest_pending_index() -> None:
    j = per_index_job(completions=3, parallelism=2, completed_indexes="0")
    pods = [
        failed(j, 5, index=1, failure_count=0),  # 10 s delay: 5 s from now
        failed(j, 12, index=2, failure_count=1),  # 20 s delay: 8 s from now
    ]
    t = next_pod_time(j, pods)
    assert t == ago(seconds=5) + timedelta(seconds=10)
    assert remaining_seconds(t, clock) == 5.0


def test_per_index_none_when_parallelism_is_full() -> None:
    j = per_index_job(completions=3, parallelism=1)
    pods = [failed(j, 5, index=0, failure_count=0), pod(j, index=1, phase="Running")]
    assert index_backoff(j, 0, pods) is None
    assert next_pod_time(j, pods) is None
    # the running pod finishes: index 0 is the lowest pending index, 5 s left
    pods[1] = pod(j, index=1, phase="Succeeded", finished=ago(seconds=1))
    assert remaining_seconds(next_pod_time(j, pods), clock) == 5.0


def test_next_pod_time_per_index_none_when_a_fresh_index_can_start() -> None:
    j = per_index_job(completions=3, parallelism=2)
    pods = [failed(j, 5, index=0, failure_count=0)]
    # index 1 has never run: the controller creates it right away
    assert next_pod_time(j, pods) is None
    assert index_backoff(j, 0, pods) is not None
