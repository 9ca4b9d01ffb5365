"""domain/diagnosis.py on Jobs, pods and Events recorded from the test cluster
(tests/unit/fixtures/why.json, made by record_why.py from tests/support/why_workloads.py)."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kubectl_batch.domain.diagnosis import (
    Diagnosis,
    Severity,
    backoff_limit_restarts,
    condense_create_failure,
    condense_unschedulable,
    crash_loop_delay,
    diagnose,
    queued_in,
    resume_refusal,
)
from kubectl_batch.domain.eta import estimate
from kubectl_batch.domain.timeutil import parse_time
from kubectl_batch.kube.resources import slim_job, slim_object, slim_pod

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "why.json").read_text())


def at(name: str) -> datetime:
    t = parse_time(RECORDED[name]["recordedAt"])
    assert t is not None
    return t


def diagnosis(name: str, when: datetime | None = None, slim: bool = False, **drop) -> Diagnosis:
    s = copy.deepcopy(RECORDED[name])
    job, pods, events = s["job"], s["pods"], s["events"]
    if slim:
        job, pods, events = slim_job(job), [slim_pod(p) for p in pods], map(slim_object, events)
    now = when or at(name)
    return diagnose(job, pods, events, lambda: now)


def why(name: str, when: datetime | None = None) -> str:
    return diagnosis(name, when).short_at(when or at(name))


# What the WHY cell reads at the moment each was recorded, and whether it is stuck.
CELLS = {
    "unschedulable-selector": (
        "unschedulable: no node matches nodeSelector accelerator=h100",
        True,
    ),
    "unschedulable-gpu": ("unschedulable: insufficient nvidia.com/gpu (0/1 nodes)", True),
    "unbound-pvc": ('unschedulable: persistentvolumeclaim "data" not found', True),
    "image-pull": ("ImagePullBackOff registry.example/team/trainer:v9", True),
    "config-error": ("config: couldn't find key password in Secret db", True),
    "mount-fail": ('FailedMount: volume settings: configmap "settings" not found', True),
    "init-fail": ("Init:1/2 input: exit 1, restarts 1, starting", True),
    "init-running": ("Init:0/1 fetch running", False),
    "crashloop": ("restarts 1, exit 3, next start in 31s", True),
    "quota": ("cannot create pods: exceeded quota pods-max", True),
    "queued": ("queued in team-a", False),
    "managed-by": ("queued in example.com/queue", False),
    "backoff": ("retry in 2s", False),
    "terminating": ("waiting for 1 terminating pod(s)", False),
    "deadline": ("deadline in 59m", False),
    "ttl": ("deleted in 59m", False),
    "eta": ("ETA 1m", False),
    "draining": ("draining: 1 of 2 workers done", False),
}


def test_every_recorded_scenario_has_its_cell():
    assert set(CELLS) == set(RECORDED)


@pytest.mark.parametrize("name", sorted(CELLS))
def test_the_cell_says_why(name):
    cell, stuck = CELLS[name]
    d = diagnosis(name)
    assert d.short_at(at(name)) == cell
    assert d.stuck is stuck


@pytest.mark.parametrize("name", sorted(CELLS))
def test_the_cache_projection_keeps_what_the_rules_read(name):
    whole, slim = diagnosis(name), diagnosis(name, slim=True)
    assert slim == whole


def test_unschedulable_keeps_the_schedulers_whole_message_in_the_detail():
    (f,) = diagnosis("unschedulable-selector").findings
    assert f.code == "unschedulable" and f.severity is Severity.STUCK
    pod = RECORDED["unschedulable-selector"]["pods"][0]
    assert f.pods == (pod["metadata"]["name"],)
    assert f.detail == (
        f"pod {pod['metadata']['name']} cannot be scheduled: 0/1 nodes are available: 1 node(s) "
        "didn't match Pod's node affinity/selector. no new claims to deallocate, preemption: "
        "0/1 nodes are available: 1 Preemption is not helpful for scheduling.; "
        "FailedScheduling seen 1 time(s)"
    )


def test_unschedulable_from_the_event_alone_when_the_condition_is_gone():
    s = copy.deepcopy(RECORDED["unschedulable-gpu"])
    for p in s["pods"]:
        p["status"]["conditions"] = []
    d = diagnose(s["job"], s["pods"], s["events"], lambda: at("unschedulable-gpu"))
    assert d.short_at(at("unschedulable-gpu")) == CELLS["unschedulable-gpu"][0]


def test_condensing_the_recorded_scheduler_messages():
    for name in ("unschedulable-gpu", "unbound-pvc"):
        (event,) = [e for e in RECORDED[name]["events"] if e["reason"] == "FailedScheduling"][:1]
        assert "unschedulable: " + condense_unschedulable(event["message"]) == CELLS[name][0]
    # Without the pod, the selector it asks for is unknown.
    (event, *_) = [
        e for e in RECORDED["unschedulable-selector"]["events"] if e["reason"] == "FailedScheduling"
    ]
    assert condense_unschedulable(event["message"]) == "no node matches the pod's node affinity"


def test_several_pods_stuck_alike_make_one_finding():
    s = copy.deepcopy(RECORDED["unschedulable-selector"])
    twin = copy.deepcopy(s["pods"][0])
    twin["metadata"]["name"] += "-twin"
    twin["metadata"]["uid"] += "-twin"
    s["pods"].append(twin)
    d = diagnose(s["job"], s["pods"], s["events"], lambda: at("unschedulable-selector"))
    (f,) = d.findings
    assert f.short_at(at("unschedulable-selector")).endswith("accelerator=h100 (2 pods)")
    assert len(f.pods) == 2


def test_a_quota_refusal_is_condensed_and_ends_when_a_pod_is_created():
    (event,) = [e for e in RECORDED["quota"]["events"] if e["reason"] == "FailedCreate"][:1]
    assert condense_create_failure(event["message"]) == "exceeded quota pods-max"
    d = diagnosis("quota")
    assert "exceeded quota: pods-max, requested: pods=1" in d.findings[0].detail
    # A pod created after the refusal: the trouble is over.
    s = copy.deepcopy(RECORDED["quota"])
    pod = copy.deepcopy(RECORDED["deadline"]["pods"][0])
    pod["metadata"]["creationTimestamp"] = "2099-01-01T00:00:00Z"
    later = diagnose(s["job"], [pod], s["events"], lambda: at("quota"))
    assert all(f.code != "create" for f in later.findings)


def test_other_create_failures_are_condensed():
    assert (
        condense_create_failure(
            'Error creating: pods "x-1" is forbidden: violates PodSecurity "restricted:latest": '
            "allowPrivilegeEscalation != false"
        )
        == "violates PodSecurity restricted:latest"
    )
    assert (
        condense_create_failure(
            'Error creating: admission webhook "policy.example.com" denied the request: no'
        )
        == "webhook policy.example.com denied: no"
    )


def test_a_crash_loop_counts_down_to_the_next_start_then_starts():
    t = at("crashloop")
    d = diagnosis("crashloop")
    crash = d.findings[0]
    assert crash.code == "crashloop"
    assert crash.at is not None
    assert (
        crash.short_at(crash.at - timedelta(seconds=40)) == "restarts 1, exit 3, next start in 40s"
    )
    assert crash.short_at(crash.at + timedelta(seconds=1)) == "restarts 1, exit 3, starting"
    assert "back-off 40s restarting failed container=main" in crash.detail
    assert crash.at > t


def test_restarts_under_on_failure_count_towards_the_backoff_limit():
    s = RECORDED["crashloop"]
    assert backoff_limit_restarts(s["job"], s["pods"]) == 1
    budget = next(f for f in diagnosis("crashloop").findings if f.code == "restarts")
    assert budget.detail == (
        "restartPolicy OnFailure: the pods' 1 container restart(s) count towards "
        "backoffLimit 10 (failed pods: 0); the Job fails with BackoffLimitExceeded when the "
        "restarts reach 10"
    )
    # restartPolicy Never: the controller counts failed pods, not restarts.
    assert backoff_limit_restarts(RECORDED["backoff"]["job"], RECORDED["backoff"]["pods"]) is None


def test_the_kubelet_crash_loop_delay():
    assert crash_loop_delay(4, "back-off 1m20s restarting failed container=main") == timedelta(
        seconds=80
    )
    assert [crash_loop_delay(n).total_seconds() for n in (1, 2, 3, 5, 6, 9)] == [
        10,
        20,
        40,
        160,
        300,
        300,
    ]


def test_init_containers_say_which_one_and_how():
    f = diagnosis("init-fail").findings[0]
    assert f.code == "init"
    assert f.detail.endswith("; 1 of 2 init containers done")
    assert f.at is not None
    assert (
        f.short_at(f.at - timedelta(seconds=8))
        == "Init:1/2 input: exit 1, restarts 1, next start in 8s"
    )
    running = diagnosis("init-running")
    assert running.problem is None and not running.stuck


def test_a_queued_job_is_not_resumed_by_hand():
    for name, queue in (("queued", "team-a"), ("managed-by", "example.com/queue")):
        job = RECORDED[name]["job"]
        assert queued_in(job) == queue
        ns = job["metadata"]["namespace"]
        assert resume_refusal(job) == (
            f"job {ns}/{name} is queued in {queue}: resuming it by hand would bypass the "
            "queue's quota"
        )
    # A Job suspended by a person, or a running one: nothing to refuse.
    for name in ("deadline", "ttl", "crashloop"):
        assert resume_refusal(RECORDED[name]["job"]) is None


def test_the_deadline_counts_down_then_passes():
    d = diagnosis("deadline")
    (f,) = d.findings
    assert f.at is not None
    assert f.short_at(f.at - timedelta(minutes=12)) == "deadline in 12m"
    assert f.short_at(f.at + timedelta(seconds=1)) == "deadline passed"
    assert "fails with DeadlineExceeded" in f.detail


def test_a_suspended_job_with_a_deadline_says_resuming_restarts_it():
    s = copy.deepcopy(RECORDED["queued"])
    s["job"]["metadata"]["labels"] = {}
    s["job"]["spec"]["activeDeadlineSeconds"] = 600
    d = diagnose(s["job"], s["pods"], s["events"], lambda: at("queued"))
    (f,) = d.findings
    assert f.short_at(at("queued")) == ""
    assert "resuming the Job resets its start time" in f.detail


def test_the_ttl_counts_down_to_the_deletion():
    (f,) = diagnosis("ttl").findings
    assert f.at is not None
    assert f.short_at(f.at - timedelta(minutes=3)) == "deleted in 3m"
    assert f.short_at(f.at) == "being deleted"


def test_the_eta_comes_from_the_finished_pods():
    s = RECORDED["eta"]
    e = estimate(s["job"], s["pods"], lambda: at("eta"))
    assert e is not None and e.eta is not None
    assert e.remaining == 36 and e.parallelism == 2 and e.finished_in_window == 4
    assert e.basis == (
        "4 pods succeeded in the last 8s (30.00/min), mean pod 2s, parallelism 2: "
        "36 completion(s) remaining"
    )
    # Too few finished pods: no estimate.
    few = [p for p in s["pods"] if p["status"]["phase"] != "Succeeded"]
    few += [p for p in s["pods"] if p["status"]["phase"] == "Succeeded"][:2]
    d = diagnose(s["job"], few, [], lambda: at("eta"))
    assert d.short_at(at("eta")) == "no estimate"
    assert next(f for f in d.findings if f.code == "eta").detail.startswith(
        "no estimate: 2 pod(s) succeeded in the last 8s, 3 needed"
    )


def test_parallelism_reached_is_told_in_the_detail_only():
    f = next(f for f in diagnosis("eta").findings if f.code == "parallelism")
    assert f.short == "" and f.severity is Severity.INFO
    assert f.detail == (
        "parallelism 2 reached: 34 more completion(s) wait for a running pod to finish"
    )


def test_backoff_waits_then_retries():
    f = diagnosis("backoff").findings[0]
    assert f.code == "backoff" and f.severity is Severity.WAITING
    assert f.at is not None
    assert f.short_at(f.at + timedelta(seconds=1)) == "retrying"
    assert "after 1 failure(s) since the last success it waits 10s" in f.detail


def test_healthy_jobs_of_the_other_fixtures_are_not_stuck():
    cluster = json.loads((Path(__file__).parent / "fixtures" / "cluster.json").read_text())
    now = parse_time(cluster["recordedAt"])
    assert now is not None
    for job in cluster["jobs"]:
        uid = job["metadata"]["uid"]
        pods = [
            p
            for p in cluster["pods"]
            if p["metadata"]["labels"].get("batch.kubernetes.io/controller-uid") == uid
        ]
        d = diagnose(job, pods, cluster["events"], lambda: now)
        assert not d.stuck, (job["metadata"]["name"], d)


def test_the_main_screen_row_says_why_and_follows_the_warning_events():
    from fixtures.tui_fakes import FakeCache

    from kubectl_batch.tui.present import JOB_COLUMNS
    from kubectl_batch.tui.screens.main import RowBuilder

    s = copy.deepcopy(RECORDED["unschedulable-gpu"])
    now = at("unschedulable-gpu")
    for p in s["pods"]:
        p["status"]["conditions"] = []  # the Event alone tells it
    cache = FakeCache({"jobs": [s["job"]], "pods": s["pods"]})
    sorts = {"jobs": ("why", False), "cronjobs": ("name", False)}
    builder = RowBuilder(tuple(JOB_COLUMNS.values()))

    def row():
        return builder.build(cache, lambda: now, "", sorts).jobs[0]

    before = row()
    assert before.why(now).plain == ""
    assert row() is before  # nothing changed: the same row
    for e in s["events"]:
        cache.put("Event", e)
    after = row()
    assert after.why(now).plain == CELLS["unschedulable-gpu"][0]
    assert after.why(now).style == "bold red"


def test_the_cache_counts_warning_events_per_job_and_forgets_them_with_it():
    from kubectl_batch.kube.cache import ClusterCache
    from kubectl_batch.kube.resources import ALL

    s = copy.deepcopy(RECORDED["unschedulable-gpu"])
    cache = ClusterCache(client=None, namespace=None, resources=ALL)  # type: ignore[arg-type]
    cache._replace("Job", [slim_job(s["job"])])
    cache._replace("Pod", [slim_pod(p) for p in s["pods"]])
    uid = s["job"]["metadata"]["uid"]
    assert cache.warnings_revision(uid) == 0
    normal = [e for e in s["events"] if e["type"] == "Normal"]
    cache._replace("Event", [slim_object(e) for e in normal])
    assert cache.warnings_revision(uid) == 0  # Normal Events tell the WHY nothing
    cache._replace("Event", [slim_object(e) for e in s["events"]])
    seen = cache.warnings_revision(uid)
    assert seen > 0  # the pod's FailedScheduling
    cache._apply("Job", "DELETED", slim_job(s["job"]))
    assert cache.warnings_revision(uid) == 0


def test_the_job_detail_has_the_whole_text():
    from fixtures.tui_fakes import FakeCache

    from kubectl_batch.tui.screens import job_detail

    s = copy.deepcopy(RECORDED["crashloop"])
    now = at("crashloop")
    cache = FakeCache({"jobs": [s["job"]], "pods": s["pods"], "events": s["events"]})
    model = job_detail.build_job_model(cache, s["job"]["metadata"]["uid"], lambda: now)
    text = job_detail.header_text(model, now).plain
    assert "why           pod crashloop-" in text
    assert "keeps crashing (CrashLoopBackOff): restarted 1 time(s), last exit code 3" in text
    assert "(next start in 31s)" in text
    assert "outlook       restartPolicy OnFailure: the pods' 1 container restart(s)" in text


def test_replacements_wait_for_terminating_pods_only_under_pod_replacement_policy_failed():
    (f,) = diagnosis("terminating").findings
    assert f.severity is Severity.WAITING
    assert f.detail == (
        "podReplacementPolicy: Failed: the Job controller creates replacements only once its "
        "1 terminating pod(s) are gone"
    )
    # Under the default policy (TerminatingOrFailed) the replacement is created at once.
    s = copy.deepcopy(RECORDED["terminating"])
    del s["job"]["spec"]["podReplacementPolicy"]
    d = diagnose(s["job"], s["pods"], s["events"], lambda: at("terminating"))
    assert all(f.code != "terminating" for f in d.findings)
