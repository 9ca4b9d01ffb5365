"""Job groups' rules (domain/groups.py) on Jobs and pods recorded from the test cluster."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

from kubectl_batch.domain.clock import frozen_clock
from kubectl_batch.domain.groups import (
    NO_VALUE,
    Why,
    group_jobs,
    log_pods,
    log_prefix,
    shared_label_keys,
    states_text,
    summarize,
)
from kubectl_batch.domain.jobs import (
    CONTROLLER_UID_LABEL,
    job_status_text,
    pod_completion_index,
)
from kubectl_batch.domain.timeutil import parse_time

SHAPES = json.loads((Path(__file__).parent / "fixtures" / "shapes.json").read_text())
JOBS, PODS = SHAPES["jobs"], SHAPES["pods"]
CLOCK = frozen_clock(parse_time(SHAPES["recordedAt"]))


def test_keys_offered_most_common_first_without_controller_labels():
    keys = [k for k, _ in shared_label_keys(JOBS)]
    counts = Counter(k for j in JOBS for k in (j["metadata"].get("labels") or {}))
    assert keys[0] in ("team", "app.kubernetes.io/name")
    assert counts[keys[0]] == max(counts.values())
    assert "batch.kubernetes.io/controller-uid" not in keys and "job-name" not in keys


def test_group_figures_add_up_to_its_jobs():
    groups = group_jobs(JOBS, "team")
    assert sum(len(v) for v in groups.values()) == len(JOBS)
    for value, members in groups.items():
        s = summarize("team", value, members, CLOCK)
        assert s.jobs == len(members)
        assert s.states == dict(Counter(job_status_text(j) for j in members))
        assert s.succeeded == sum((j.get("status") or {}).get("succeeded", 0) for j in members)
        assert s.completions == sum((j["spec"].get("completions") or 1) for j in members)
        assert s.selector == (f"team={value}" if value != NO_VALUE else "!team")


def test_states_are_told_in_a_fixed_order():
    assert states_text({"Running": 3, "Failed": 1, "Complete": 12}) == (
        "12 complete, 1 failed, 3 running"
    )


def test_hooks_give_the_latest_eta_and_the_most_urgent_why():
    members = group_jobs(JOBS, "team")[next(iter(group_jobs(JOBS, "team")))]
    later = CLOCK() + timedelta(hours=1)
    s = summarize(
        "team", "x", members, CLOCK,
        eta_of=lambda j: later,
        why_of=lambda j: Why(len(j["metadata"]["name"]), "slow", j["metadata"]["name"]),
    )  # fmt: skip
    unfinished = [j for j in members if job_status_text(j) not in ("Complete", "Failed")]
    assert s.eta == (later if unfinished else None)
    assert s.why is not None
    assert s.why.job == max((j["metadata"]["name"] for j in members), key=len)


def test_latest_attempt_of_each_index():
    by_job: dict[str, list[dict]] = {}
    for pod in PODS:
        uid = (pod["metadata"].get("labels") or {}).get(CONTROLLER_UID_LABEL)
        by_job.setdefault(uid, []).append(pod)
    pods = max(by_job.values(), key=lambda ps: len(ps) - len({pod_completion_index(p) for p in ps}))
    latest = log_pods(pods, latest_only=True)
    indexes = [pod_completion_index(p) for p in latest]
    assert len(indexes) == len(set(indexes)) == len({pod_completion_index(p) for p in pods})
    for pod in latest:
        same = [p for p in pods if pod_completion_index(p) == pod_completion_index(pod)]
        assert pod["metadata"]["creationTimestamp"] == max(
            p["metadata"]["creationTimestamp"] for p in same
        )
    assert len(log_pods(pods, latest_only=False)) == len(pods)
    ix = pod_completion_index(latest[0])
    assert log_prefix("render", latest[0], True) == (
        f"job/render[{ix}]"
        if ix is not None
        else f"job/render/{latest[0]['metadata']['name'][-5:]}"
    )
