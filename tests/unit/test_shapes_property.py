"""Property: any Job, pods and CronJob the API would accept go through the domain
summaries and the row and detail builders without raising (issue 19).

The generated objects start from recorded ones (tests/unit/fixtures/cluster.json) and vary
what users vary: counts, completion modes, index sets, limits, conditions, times, pod
fates, schedules and zones."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

from fixtures.tui_fakes import Clock, FakeCache, recorded
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubectl_batch.domain.indexes import IndexSet
from kubectl_batch.tui.present import (
    CRONJOB_COLUMNS,
    JOB_COLUMNS,
    POD_COLUMNS,
    cronjob_row,
    job_row,
    pod_row,
)
from kubectl_batch.tui.screens import cronjob_detail, job_detail

DATA = recorded()
NOW = datetime(2026, 11, 22, 5, 0, tzinfo=timezone.utc)
JOB = next(j for j in DATA["jobs"] if j["metadata"]["name"] == "render-frames")
POD = next(
    p for p in DATA["pods"] if p["metadata"]["ownerReferences"][0]["uid"] == JOB["metadata"]["uid"]
)
CRONJOB = DATA["cronjobs"][0]


def rfc3339(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


times = st.integers(-86_400 * 30, 3_600).map(lambda s: rfc3339(NOW + timedelta(seconds=s)))
counts = st.integers(0, 200_000)


@st.composite
def index_sets(draw, completions: int) -> str:
    if completions == 0:
        return ""
    picked = draw(st.lists(st.integers(0, completions - 1), max_size=40))
    ranges = draw(
        st.lists(st.tuples(st.integers(0, completions - 1), st.integers(0, 500)), max_size=5)
    )
    out = IndexSet.from_indexes(picked)
    for start, length in ranges:
        out = out | IndexSet.span(start, min(completions, start + length + 1))
    return str(out)


CONDITIONS = [
    ("Complete", "CompletionsReached"),
    ("Complete", "SuccessPolicy"),
    ("Failed", "BackoffLimitExceeded"),
    ("Failed", "DeadlineExceeded"),
    ("Failed", "MaxFailedIndexesExceeded"),
    ("Failed", "PodFailurePolicy"),
    ("FailureTarget", "BackoffLimitExceeded"),
    ("SuccessCriteriaMet", "CompletionsReached"),
    ("Suspended", "JobSuspended"),
]


@st.composite
def jobs(draw) -> tuple[dict, list[dict]]:
    job = copy.deepcopy(JOB)
    spec, status = job["spec"], {}
    indexed = draw(st.booleans())
    completions = draw(st.one_of(st.none(), st.integers(0, 100_000)))
    if indexed and completions is None:
        completions = draw(st.integers(1, 100_000))
    spec.update(
        completions=completions,
        parallelism=draw(st.integers(0, 1000)),
        completionMode="Indexed" if indexed else "NonIndexed",
        backoffLimit=draw(st.sampled_from([0, 1, 6, 2147483647])),
        suspend=draw(st.booleans()),
    )
    spec.pop("backoffLimitPerIndex", None)
    if indexed and draw(st.booleans()):
        spec["backoffLimitPerIndex"] = draw(st.integers(0, 10))
        spec["maxFailedIndexes"] = draw(st.integers(0, completions))
    if draw(st.booleans()):
        spec["activeDeadlineSeconds"] = draw(st.integers(1, 86_400))
    for key in ("active", "succeeded", "failed", "ready", "terminating"):
        if draw(st.booleans()):
            status[key] = draw(counts)
    if draw(st.booleans()):
        status["startTime"] = draw(times)
    if draw(st.booleans()):
        status["completionTime"] = draw(times)
    if indexed:
        status["completedIndexes"] = draw(index_sets(completions))
        if "backoffLimitPerIndex" in spec:
            status["failedIndexes"] = draw(index_sets(completions))
    status["conditions"] = [
        {
            "type": t,
            "status": "True",
            "reason": r,
            "message": "generated",
            "lastTransitionTime": draw(times),
            "lastProbeTime": draw(times),
        }
        for t, r in draw(st.lists(st.sampled_from(CONDITIONS), max_size=3, unique=True))
    ]
    job["status"] = status
    pods = []
    for i in range(draw(st.integers(0, 6))):
        pod = copy.deepcopy(POD)
        meta = pod["metadata"]
        meta["uid"], meta["name"] = f"pod-{i}", f"{JOB['metadata']['name']}-{i}"
        meta["creationTimestamp"] = draw(times)
        if indexed and completions:  # an Indexed Job of 0 completions has no index
            index = str(draw(st.integers(0, completions - 1)))
            meta["annotations"]["batch.kubernetes.io/job-completion-index"] = index
            meta["labels"]["batch.kubernetes.io/job-completion-index"] = index
        phase = draw(st.sampled_from(["Pending", "Running", "Succeeded", "Failed", "Unknown"]))
        pod["status"] = {"phase": phase, "startTime": draw(times)}
        if phase in ("Succeeded", "Failed"):
            pod["status"]["containerStatuses"] = [
                {
                    "name": "main",
                    "ready": False,
                    "restartCount": draw(st.integers(0, 5)),
                    "image": "busybox",
                    "imageID": "",
                    "started": False,
                    "state": {
                        "terminated": {
                            "exitCode": draw(st.integers(0, 255)),
                            "reason": draw(st.sampled_from(["Error", "OOMKilled", "Completed"])),
                            "startedAt": draw(times),
                            "finishedAt": draw(times),
                        }
                    },
                }
            ]
        if draw(st.booleans()):
            meta["deletionTimestamp"] = draw(times)
        pods.append(pod)
    return job, pods


SCHEDULES = st.sampled_from(
    [
        "* * * * *",
        "0 3 * * *",
        "30 2 * * *",
        "*/5 * * * 1-5",
        "0 0 29 2 *",
        "@hourly",
        "@every 90s",
        "0 0 30 2 *",
        "15 14 1 * *",
        "0 9 * * MON-FRI",
        "not a schedule",
    ]
)


@st.composite
def cronjobs(draw) -> dict:
    cj = copy.deepcopy(CRONJOB)
    spec, status = cj["spec"], {}
    spec["schedule"] = draw(SCHEDULES)
    spec["suspend"] = draw(st.booleans())
    spec["concurrencyPolicy"] = draw(st.sampled_from(["Allow", "Forbid", "Replace"]))
    zone = draw(
        st.sampled_from(
            [None, "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Nowhere/Atlantis"]
        )
    )
    spec.pop("timeZone", None)
    if zone:
        spec["timeZone"] = zone
    spec.pop("startingDeadlineSeconds", None)
    if draw(st.booleans()):
        spec["startingDeadlineSeconds"] = draw(st.integers(0, 86_400))
    for key in ("lastScheduleTime", "lastSuccessfulTime"):
        if draw(st.booleans()):
            status[key] = draw(times)
    cj["status"] = status
    return cj


def render_all(columns: dict, row) -> None:
    for column in columns.values():
        column.render(row, NOW)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(jobs())
def test_any_job_goes_through_rows_and_the_detail(generated):
    job, pods = generated
    clock = Clock(NOW)
    row = job_row(job, pods, clock)
    render_all(JOB_COLUMNS, row)
    for pod in pods:
        render_all(POD_COLUMNS, pod_row(pod))
    cache = FakeCache({"jobs": [job], "pods": pods, "events": DATA["events"]})
    model = job_detail.build_job_model(cache, job["metadata"]["uid"], clock)
    for columns in (0, 80, 200):
        job_detail.header_text(model, NOW, columns)
    if model.progress is not None:
        job_detail.legend(model.progress)
        job_detail.ranges_text(model.progress, 40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cronjobs(), st.lists(jobs(), max_size=3))
def test_any_cronjob_goes_through_its_row_and_detail(cj, owned):
    owned_jobs = []
    for i, (job, _) in enumerate(owned):
        job["metadata"]["uid"] = f"owned-{i}"
        job["metadata"]["ownerReferences"] = [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": cj["metadata"]["name"],
                "uid": cj["metadata"]["uid"],
                "controller": True,
            }
        ]
        owned_jobs.append(job)
    row = cronjob_row(cj, owned_jobs, NOW)
    render_all(CRONJOB_COLUMNS, row)
    cache = FakeCache({"cronjobs": [cj], "jobs": owned_jobs, "events": DATA["events"]})
    model = cronjob_detail.build_cronjob_model(cache, cj["metadata"]["uid"], Clock(NOW))
    for columns in (0, 80, 200):
        cronjob_detail.header_text(model, NOW, columns)
