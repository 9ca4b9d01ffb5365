"""What a k9s user reads in a narrow cell: a Job's STATUS with its reason in words, cut
between words; a CronJob's fire times said once when local time is the zone's."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from fixtures.tui_fakes import recorded

from kubectl_batch.domain.clock import frozen_clock
from kubectl_batch.domain.jobs import has_job_wide_backoff_limit, reason_words
from kubectl_batch.domain.timeutil import parse_time
from kubectl_batch.tui.present import job_row
from kubectl_batch.tui.screens.cronjob_detail import next_run_line
from kubectl_batch.tui.text import cut_words

DATA = recorded()
NOW = parse_time(DATA["recordedAt"])
assert NOW is not None
JOBS = {j["metadata"]["name"]: j for j in DATA["jobs"]}


def status_at(name: str, width: int) -> str:
    cell = job_row(JOBS[name], [], frozen_clock(NOW)).status()
    return cell.line(width).plain if hasattr(cell, "line") else cell.plain


@pytest.mark.parametrize(
    ("name", "wide", "narrow"),
    [
        # CompletionsReached says again what Complete says.
        ("etl-daily", "Complete", "Complete"),
        ("oom-crunch", "Failed backoff limit", "Failed backoff…"),
        ("render-frames", "Failed failed indexes", "Failed failed…"),
        ("sweep-paused", "Suspended", "Suspended"),
        ("train-model", "Running", "Running"),
    ],
)
def test_a_status_cell_says_its_reason_in_words_cut_between_words(name, wide, narrow):
    assert status_at(name, 27) == wide
    assert status_at(name, 16) == narrow


def test_a_reason_too_long_for_any_word_leaves_an_ellipsis_not_half_a_word():
    assert status_at("oom-crunch", 12) == "Failed …"


@pytest.mark.parametrize(
    ("status", "reason", "words"),
    [
        ("Failed", "BackoffLimitExceeded", "backoff limit"),
        ("Failed", "DeadlineExceeded", "deadline"),
        ("Failed", "FailedIndexes", "failed indexes"),
        ("Failed", "MaxFailedIndexesExceeded", "max failed indexes"),
        ("Failed", "PodFailurePolicy", "pod failure policy"),
        ("Complete", "SuccessPolicy", "success policy"),
        ("Complete", "CompletionsReached", None),
        ("Terminating", "CompletionsReached", "completions reached"),
        ("Failed", "SomeNewReason", "some new reason"),
        ("Failed", None, None),
    ],
)
def test_reasons_in_words(status, reason, words):
    assert reason_words(status, reason) == words


@pytest.mark.parametrize(
    ("width", "shown"),
    [(30, "max failed indexes"), (17, "max failed…"), (11, "max failed…"), (10, "max…"), (3, "…")],
)
def test_cut_words_never_cuts_a_word(width, shown):
    assert cut_words("max failed indexes", width) == shown


RUN = datetime(2026, 11, 22, 5, 0, tzinfo=timezone.utc)


def test_a_fire_time_in_the_local_zone_is_said_once():
    line = next_run_line(RUN, timezone.utc, NOW).plain
    assert line == "  Sun 2026-11-22 05:00 UTC   in 3m26s"


def test_a_fire_time_in_another_zone_is_also_given_locally():
    line = next_run_line(RUN, ZoneInfo("Europe/Berlin"), NOW).plain
    assert line == "  Sun 2026-11-22 06:00 CET   local Sun 2026-11-22 05:00 UTC   in 3m26s"


def test_only_a_per_index_limit_means_no_job_wide_backoff_limit():
    per_index = JOBS["render-frames"]  # the API server made its backoffLimit MaxInt32
    assert per_index["spec"]["backoffLimit"] == 2147483647
    assert not has_job_wide_backoff_limit(per_index)
    assert has_job_wide_backoff_limit(JOBS["etl-daily"])
    both = {**per_index, "spec": {**per_index["spec"], "backoffLimit": 3}}
    assert has_job_wide_backoff_limit(both)
