from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from builders import NOW, ago, condition, job

from kubectl_batch.domain.clock import frozen_clock
from kubectl_batch.domain.indexes import IndexSet
from kubectl_batch.domain.jobs import (
    RETRY_INDEXES_ANNOTATION,
    RETRY_OF_LABEL,
    JobSummary,
    pod_completion_index,
    read_lineage,
)
from kubectl_batch.domain.timeutil import (
    format_age,
    format_age_since,
    format_countdown,
    format_duration,
    format_short_duration,
    parse_time,
)

clock = frozen_clock(NOW)
UTC = timezone.utc


def summary(j: dict) -> JobSummary:
    return JobSummary.from_job(j, clock)


# ---------------------------------------------------------------- timeutil


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-09T13:00:00Z", datetime(2026, 3, 9, 13, 0, 0, tzinfo=UTC)),
        ("2026-03-09T13:00:00.123456Z", datetime(2026, 3, 9, 13, 0, 0, 123456, tzinfo=UTC)),
        ("2026-03-09T13:00:00.123456789Z", datetime(2026, 3, 9, 13, 0, 0, 123456, tzinfo=UTC)),
        ("2026-03-09T14:30:00+01:30", datetime(2026, 3, 9, 13, 0, 0, tzinfo=UTC)),
        ("2026-03-09t13:00:00z", datetime(2026, 3, 9, 13, 0, 0, tzinfo=UTC)),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    got = parse_time(text)
    assert got == expected
    assert got is not None and got.utcoffset() == timedelta(0)


def test_parse_time_none_safe_and_strict() -> None:
    assert parse_time(None) is None
    assert parse_time("") is None
    for bad in ("yesterday", "2026-03-09", "2026-13-09T13:00:00Z", "2026-03-09T13:00:00"):
        with pytest.raises(ValueError):
            parse_time(bad)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1.5, "0s"),
        (0, "0s"),
        (59, "59s"),
        (119, "119s"),
        (120, "2m"),
        (125, "2m5s"),
        (599, "9m59s"),
        (600, "10m"),
        (179 * 60 + 59, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 60 * 5, "3h5m"),
        (8 * 3600 + 59 * 60, "8h"),
        (47 * 3600, "47h"),
        (48 * 3600, "2d"),
        (2 * 86400 + 5 * 3600, "2d5h"),
        (8 * 86400, "8d"),
        (729 * 86400, "729d"),
        (730 * 86400, "2y"),
        (731 * 86400, "2y1d"),
        (8 * 365 * 86400 + 86400 * 3, "8y"),
    ],
)
def test_format_duration_is_human_duration(seconds: float, text: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == text
    assert format_age(timedelta(seconds=seconds)) == text


def test_short_duration_and_age_since() -> None:
    assert format_short_duration(timedelta(seconds=90)) == "1m"
    assert format_short_duration(timedelta(hours=30)) == "1d"
    assert format_age_since(None, NOW) == "<unknown>"
    assert format_age_since("2026-03-09T12:55:00Z", NOW) == "5m"


@pytest.mark.parametrize(
    ("remaining", "text"),
    [(None, "0s"), (-3, "0s"), (0, "0s"), (0.2, "1s"), (37, "37s"), (36.1, "37s"),
     (250, "4m10s"), (240, "4m0s"), (600, "10m0s"), (3900, "1h5m"), (90000, "1d1h")],
)  # fmt: skip
def test_countdown(remaining: float | None, text: str) -> None:
    assert format_countdown(remaining) == text
    if remaining is not None:
        assert format_countdown(timedelta(seconds=remaining)) == text


# ------------------------------------------------------------------ status


def test_running_job_columns() -> None:
    s = summary(
        job(completions=5, parallelism=2, start=ago(minutes=3, seconds=20), active=2,
            ready=1, succeeded=3, created=ago(minutes=4))
    )  # fmt: skip
    assert s.status == "Running"
    assert s.reason is None
    assert s.completions == "3/5"
    assert s.duration == "3m20s"
    assert s.age == "4m"
    assert (s.succeeded, s.active, s.ready, s.failed, s.terminating) == (3, 2, 1, 0, 0)
    assert not s.is_finished and not s.is_suspended and not s.is_indexed


def test_complete_job_duration_stops_at_completion() -> None:
    start = ago(hours=2)
    s = summary(
        job(completions=1, start=start, completion=start + timedelta(seconds=75), succeeded=1,
            created=ago(hours=2, seconds=1),
            conditions=[
                condition("SuccessCriteriaMet", reason="CompletionsReached"),
                condition("Complete", reason="CompletionsReached",
                          message="Reached expected number of succeeded pods"),
            ])
    )  # fmt: skip
    assert s.status == "Complete"
    assert s.reason == "CompletionsReached"
    assert s.message == "Reached expected number of succeeded pods"
    assert s.completions == "1/1"
    assert s.duration == "75s"
    assert s.age == "120m"
    assert s.is_finished
    assert s.finished_time == NOW


def test_failed_job_duration_keeps_growing_like_kubectl() -> None:
    # Failed jobs have no completionTime: kubectl measures to now.
    s = summary(
        job(completions=3, start=ago(minutes=30), failed=7, succeeded=1,
            conditions=[
                condition("FailureTarget", reason="BackoffLimitExceeded", at=ago(minutes=20)),
                condition("Failed", reason="BackoffLimitExceeded",
                          message="Job has reached the specified backoff limit",
                          at=ago(minutes=20)),
            ])
    )  # fmt: skip
    assert s.status == "Failed"
    assert s.reason == "BackoffLimitExceeded"
    assert s.duration == "30m"
    assert s.completions == "1/3"
    assert s.failed == 7
    assert s.is_finished
    assert s.finished_time == ago(minutes=20)


@pytest.mark.parametrize(
    ("conditions", "deleting", "status", "reason"),
    [
        ([condition("FailureTarget", reason="PodFailurePolicy")], False,
         "FailureTarget", "PodFailurePolicy"),
        ([condition("SuccessCriteriaMet", reason="SuccessPolicy")], False,
         "SuccessCriteriaMet", "SuccessPolicy"),
        ([condition("Suspended", reason="JobSuspended")], False, "Suspended", "JobSuspended"),
        ([condition("Suspended", "False", reason="JobResumed")], False, "Running", None),
        ([condition("FailureTarget", reason="DeadlineExceeded")], True,
         "Terminating", "DeadlineExceeded"),
        ([], True, "Terminating", None),
        # Suspended outranks FailureTarget in printJob
        ([condition("FailureTarget", reason="MaxFailedIndexesExceeded"),
          condition("Suspended", reason="JobSuspended")], False, "Suspended", "JobSuspended"),
        # Complete/Failed outrank Terminating
        ([condition("Failed", reason="FailedIndexes")], True, "Failed", "FailedIndexes"),
        # only the first condition of a type counts (hasJobCondition)
        ([condition("Suspended", "False"), condition("Suspended", "True")], False,
         "Running", None),
    ],
)  # fmt: skip
def test_status_column_order(
    conditions: list[dict], deleting: bool, status: str, reason: str | None
) -> None:
    s = summary(job(conditions=conditions, deletion=ago(seconds=5) if deleting else None))
    assert s.status == status
    assert s.reason == reason


def test_suspended_job_not_started_has_empty_duration() -> None:
    s = summary(job(suspend=True, conditions=[condition("Suspended", reason="JobSuspended")]))
    assert s.status == "Suspended"
    assert s.is_suspended
    assert s.duration == ""
    assert s.elapsed is None


@pytest.mark.parametrize(
    ("completions", "parallelism", "text"),
    [(None, 3, "2/1 of 3"), (None, 1, "2/1"), (None, None, "2/1"), (4, 3, "2/4")],
)
def test_completions_text(completions: int | None, parallelism: int | None, text: str) -> None:
    assert (
        summary(job(completions=completions, parallelism=parallelism, succeeded=2)).completions
        == text
    )


def test_missing_creation_timestamp_age_unknown() -> None:
    j = job()
    del j["metadata"]["creationTimestamp"]
    assert summary(j).age == "<unknown>"


def test_cronjob_owner_and_schedule_annotation() -> None:
    s = summary(
        job(name="nightly-29550060", owner_cronjob="nightly",
            annotations={"batch.kubernetes.io/cronjob-scheduled-timestamp": "2026-03-09T00:00:00Z"})
    )  # fmt: skip
    assert s.owner_cronjob == "nightly"
    assert s.scheduled_time == datetime(2026, 3, 9, tzinfo=UTC)
    assert not s.is_manual
    manual = summary(
        job(owner_cronjob="nightly", annotations={"cronjob.kubernetes.io/instantiate": "manual"})
    )
    assert manual.is_manual
    assert summary(job()).owner_cronjob is None


def test_non_controller_owner_is_not_the_cronjob() -> None:
    j = job(owner_cronjob="nightly")
    j["metadata"]["ownerReferences"][0]["controller"] = False
    assert summary(j).owner_cronjob is None


def test_indexed_per_index_fields() -> None:
    s = summary(
        job(indexed=True, completions=10, parallelism=3, backoff_limit_per_index=2,
            max_failed_indexes=4, succeeded=4, completed_indexes="0-3")
    )  # fmt: skip
    assert s.is_indexed
    assert s.backoff_limit_per_index == 2
    assert s.max_failed_indexes == 4
    assert s.completions == "4/10"


def test_lineage() -> None:
    j = job(
        name="batch-retry-1",
        labels={RETRY_OF_LABEL: "batch"},
        annotations={RETRY_INDEXES_ANNOTATION: "1,3-5,7"},
    )
    lin = summary(j).lineage
    assert lin is not None
    assert lin.retry_of == "batch"
    assert lin.retry_indexes == IndexSet.parse("1,3-5,7")
    assert read_lineage(job()) is None
    broken = read_lineage(job(annotations={RETRY_INDEXES_ANNOTATION: "zzz"}))
    assert broken is not None and broken.retry_indexes is None
    assert broken.retry_indexes_text == "zzz"
    assert RETRY_OF_LABEL == "batch.kubectl-batch.io/retry-of"
    assert RETRY_INDEXES_ANNOTATION == "batch.kubectl-batch.io/retry-indexes"


def test_pod_completion_index() -> None:
    def p(annotations: dict, labels: dict | None = None) -> dict:
        return {"metadata": {"annotations": annotations, "labels": labels or {}}}

    key = "batch.kubernetes.io/job-completion-index"
    assert pod_completion_index(p({key: "7"})) == 7
    assert pod_completion_index(p({}, {key: "3"})) == 3
    assert pod_completion_index(p({key: "-1"})) is None
    assert pod_completion_index(p({key: "x"})) is None
    assert pod_completion_index(p({})) is None


def test_one_suspend_warning_for_the_cli_and_the_tui():
    """The CLI's ``Warning:`` line and the TUI's confirmation are the same sentences."""
    from fixtures.tui_fakes import recorded

    from kubectl_batch.domain.jobs import suspend_warning

    sweep = next(j for j in recorded()["jobs"] if j["metadata"]["name"] == "param-sweep-100k")
    warning = suspend_warning(sweep)
    assert warning is not None
    assert warning.suspending == (
        "Suspending job batch-demo/param-sweep-100k deletes its 8 active pod(s); "
        "they are not counted as failures."
    )
    assert warning.resuming == "Resuming later restarts them and resets the job's start time."
    assert str(warning) == f"{warning.suspending} {warning.resuming}"
    assert suspend_warning(sweep, active=2).suspending.count("its 2 active pod(s)") == 1
    assert suspend_warning(sweep, active=0) is None
    assert suspend_warning(dict(sweep, spec=dict(sweep["spec"], suspend=True))) is None
