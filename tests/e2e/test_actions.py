"""Actions against the real control plane: suspend/resume, trigger (parity with kubectl),
retry of failed indexes, bulk delete with its guards, permissions, and the CLI paths.
kubectl is the independent witness of what happened."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import cronjob_manifest, job_manifest
from support import kubeconfigs

from kubectl_batch.domain.indexes import IndexSet
from kubectl_batch.domain.jobs import (
    COMPLETION_INDEX_ANNOTATION,
    RETRY_INDEXES_ANNOTATION,
    RETRY_OF_LABEL,
    read_lineage,
)
from kubectl_batch.kube import actions
from kubectl_batch.kube.actions import ActionError
from kubectl_batch.kube.client import ApiClient
from kubectl_batch.kube.config import load

ROOT = Path(__file__).resolve().parents[2]
RUN = {"test.kubectl-batch.io/outcome": "run"}
CONTROLLER_LABELS = (
    "batch.kubernetes.io/controller-uid",
    "controller-uid",
    "batch.kubernetes.io/job-name",
    "job-name",
)


def api(kubeconfig, namespace: str) -> ApiClient:
    return ApiClient(load(kubeconfig=str(kubeconfig), namespace=namespace))


def cli(kubeconfig, namespace: str, *args: str, input: str = "") -> subprocess.CompletedProcess:
    """`kubectl batch ...` as a user runs it (stdin a pipe, not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "kubectl_batch", "--kubeconfig", str(kubeconfig), "-n", namespace]
        + list(args),
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def live_pods(kubectl, job: str) -> list[dict]:
    """Pods of a Job that are running or about to (not terminal, not being deleted)."""
    return [
        p
        for p in kubectl.items("pods", "-l", f"batch.kubernetes.io/job-name={job}")
        if p["status"].get("phase") not in ("Succeeded", "Failed")
        and not p["metadata"].get("deletionTimestamp")
    ]


def finished(kubectl, name: str) -> bool:
    return bool(kubectl.job_condition(name, "Complete") or kubectl.job_condition(name, "Failed"))


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


# ------------------------------------------------------------------ suspend/resume


def test_suspending_a_running_job_stops_its_pods_and_resume_brings_them_back(
    kubectl, cluster, namespace
):
    kubectl.create(job_manifest("work", completions=2, parallelism=2, annotations=RUN))
    kubectl.wait_for(lambda: len(live_pods(kubectl, "work")) == 2, what="2 running pods")
    kubectl.wait_for(lambda: kubectl.get("job", "work")["status"].get("active") == 2)
    client = api(cluster, namespace)

    warning = actions.suspend_warning(actions.get_object(client, "job", namespace, "work"))
    assert warning and "deletes its 2 active pod(s)" in str(warning)

    result = actions.set_suspend(client, "Job", namespace, "work", True)
    assert (result.target, result.changed, result.message) == (
        "job/work",
        True,
        "job/work suspended",
    )
    kubectl.wait_for(lambda: kubectl.job_condition("work", "Suspended"), what="Suspended")
    kubectl.wait_for(
        lambda: not kubectl.items("pods", "-l", "batch.kubernetes.io/job-name=work"),
        what="the pods to go away",
    )
    again = actions.set_suspend(client, "Job", namespace, "work", True)
    assert not again.changed and "already suspended" in again.message

    resumed = actions.set_suspend(client, "Job", namespace, "work", False)
    assert resumed.changed and resumed.message == "job/work resumed"
    kubectl.wait_for(lambda: len(live_pods(kubectl, "work")) == 2, what="pods to come back")
    assert not kubectl.job_condition("work", "Suspended")
    assert not finished(kubectl, "work")


def test_a_suspended_cronjob_does_not_fire_at_its_next_minute(kubectl, cluster, namespace):
    # Stay clear of a minute boundary while creating and suspending.
    if datetime.now(timezone.utc).second > 45:
        time.sleep(62 - datetime.now(timezone.utc).second)
    kubectl.create(cronjob_manifest("every-minute", schedule="* * * * *"))
    client = api(cluster, namespace)
    result = actions.set_suspend(client, "CronJob", namespace, "every-minute", True)
    assert result.changed and result.message == "cronjob/every-minute suspended"
    assert kubectl.get("cronjob", "every-minute")["spec"]["suspend"] is True

    now = datetime.now(timezone.utc)
    time.sleep(60 - now.second - now.microsecond / 1e6 + 15)  # past the next boundary
    assert kubectl.items("jobs") == []
    assert not kubectl.get("cronjob", "every-minute").get("status", {}).get("lastScheduleTime")

    # Control: the controller was watching. Resumed (no startingDeadlineSeconds), the
    # missed run fires at once.
    assert actions.set_suspend(client, "CronJob", namespace, "every-minute", False).changed
    kubectl.wait_for(lambda: kubectl.items("jobs"), timeout=40, what="the missed run")


# ---------------------------------------------------------------------- trigger


def comparable(job: dict) -> dict:
    """A Job without what differs between two creations: names, uids, times, controller
    fields (selector, controller labels), status."""
    job = copy.deepcopy(job)
    meta = job["metadata"]
    for key in (
        "name",
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "generation",
        "managedFields",
    ):
        meta.pop(key, None)
    job.pop("status", None)
    spec = job["spec"]
    spec.pop("selector", None)
    labels = spec["template"]["metadata"].get("labels") or {}
    for key in CONTROLLER_LABELS:
        labels.pop(key, None)
    return job


def test_trigger_creates_the_same_job_as_kubectl_create_job_from(kubectl, cluster, namespace):
    cj = cronjob_manifest(
        "nightly",
        completions=2,
        parallelism=1,
        backoffLimit=2,
        activeDeadlineSeconds=600,
        annotations={"team.example/owner": "etl"},
        labels={"app": "nightly"},
    )
    cj["spec"]["jobTemplate"]["metadata"] = {
        "labels": {"team": "etl", "tier": "batch"},
        "annotations": {
            "note": "from the template",
            # kubectl: the template's annotations win over its own.
            "cronjob.kubernetes.io/instantiate": "template-value",
        },
    }
    kubectl.create(cj)
    client = api(cluster, namespace)

    dry = actions.trigger_cronjob(client, namespace, "nightly", job_name="dry", dry_run=True)
    assert dry.dry_run and dry.created == "dry" and "(dry run)" in dry.message
    assert kubectl.items("jobs") == []

    kubectl.run("create", "job", "by-kubectl", "--from=cronjob/nightly")
    result = actions.trigger_cronjob(client, namespace, "nightly", job_name="by-us")
    assert result.created == "by-us" and result.changed
    assert result.message == "job/by-us created from cronjob/nightly"

    theirs, ours = kubectl.get("job", "by-kubectl"), kubectl.get("job", "by-us")
    assert ours["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "name": "nightly",
            "uid": kubectl.get("cronjob", "nightly")["metadata"]["uid"],
            "controller": True,
        }
    ]
    assert ours["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == (
        "template-value"
    )
    a, b = comparable(theirs), comparable(ours)
    assert a["metadata"] == b["metadata"]
    assert a["spec"] == b["spec"]
    assert a == b

    default = actions.trigger_cronjob(client, namespace, "nightly")
    assert re.fullmatch(r"nightly-manual-[bcdfghjklmnpqrstvwxz2456789]{5}", default.created)
    assert comparable(kubectl.get("job", default.created)) == a


# ---------------------------------------------------------------------- retries


def test_retry_reruns_exactly_the_failed_indexes_and_leaves_the_original_alone(
    kubectl, cluster, namespace
):
    kubectl.create(
        job_manifest(
            "sweep",
            completions=5,
            parallelism=5,
            indexed=True,
            backoffLimitPerIndex=0,
            labels={"team": "ml"},
            annotations={
                "test.kubectl-batch.io/fail-indexes": "1,3",
                "test.kubectl-batch.io/fail-only-in-job": "sweep",
            },
        )
    )
    kubectl.wait_for(lambda: kubectl.job_condition("sweep", "Failed"), what="sweep to fail")
    before = kubectl.get("job", "sweep")
    assert before["status"]["failedIndexes"] == "1,3"
    client = api(cluster, namespace)

    dry = actions.retry_failed_indexes(client, namespace, "sweep", dry_run=True)
    assert dry.dry_run and dry.indexes == "1,3" and len(dry.created_all) == 2
    assert [j["metadata"]["name"] for j in kubectl.items("jobs")] == ["sweep"]

    result = actions.retry_failed_indexes(client, namespace, "sweep")
    assert result.changed and result.indexes == "1,3" and result.created == result.created_all[0]
    assert len(result.created_all) == 2

    retries = kubectl.items("jobs", "-l", f"{RETRY_OF_LABEL}=sweep")
    assert sorted(j["metadata"]["name"] for j in retries) == sorted(result.created_all)
    by_index = {}
    for job in retries:
        meta = job["metadata"]
        assert meta["labels"][RETRY_OF_LABEL] == "sweep"
        assert meta["labels"]["team"] == "ml"
        assert meta["annotations"][actions.RETRY_OF_UID_ANNOTATION] == before["metadata"]["uid"]
        lineage = read_lineage(job)
        assert lineage and lineage.retry_of == "sweep"
        by_index[meta["annotations"][RETRY_INDEXES_ANNOTATION]] = meta["name"]
        assert lineage.retry_indexes == IndexSet.parse(
            meta["annotations"][RETRY_INDEXES_ANNOTATION]
        )
    assert set(by_index) == {"1", "3"}

    for index, name in by_index.items():
        kubectl.wait_for(lambda n=name: kubectl.job_condition(n, "Complete"), what=f"{name}")
        (pod,) = kubectl.items("pods", "-l", f"batch.kubernetes.io/job-name={name}")
        assert pod["status"]["phase"] == "Succeeded"
        assert pod["metadata"]["annotations"][COMPLETION_INDEX_ANNOTATION] == index
        assert pod["metadata"]["labels"][COMPLETION_INDEX_ANNOTATION] == index
        env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
        assert env["JOB_COMPLETION_INDEX"] == index
        assert pod["spec"]["hostname"] == f"sweep-{index}"

    after = kubectl.get("job", "sweep")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["spec"] == before["spec"] and after["status"] == before["status"]

    with pytest.raises(ActionError, match="nothing to retry in job/sweep: indexes 1,3 already"):
        actions.retry_failed_indexes(client, namespace, "sweep")


def test_retry_and_rerun_refuse_what_they_cannot_do(kubectl, cluster, namespace):
    kubectl.create(
        job_manifest(
            "plain", backoffLimit=0, annotations={"test.kubectl-batch.io/outcome": "fail"}
        ),
        job_manifest("busy", completions=2, indexed=True, annotations=RUN),
        job_manifest("fine", completions=2, indexed=True),
    )
    kubectl.wait_for(lambda: finished(kubectl, "plain") and finished(kubectl, "fine"))
    kubectl.wait_for(lambda: live_pods(kubectl, "busy"))
    client = api(cluster, namespace)
    with pytest.raises(ActionError, match="not an Indexed Job.*kubectl batch rerun job/plain"):
        actions.retry_failed_indexes(client, namespace, "plain")
    with pytest.raises(ActionError, match="job/busy is still running"):
        actions.retry_failed_indexes(client, namespace, "busy")
    with pytest.raises(ActionError, match="job/busy is still running"):
        actions.rerun_job(client, namespace, "busy")
    with pytest.raises(ActionError, match="nothing to retry in job/fine: every index succeeded"):
        actions.retry_failed_indexes(client, namespace, "fine")
    with pytest.raises(ActionError, match='jobs.batch "ghost" not found'):
        actions.retry_failed_indexes(client, namespace, "ghost")
    assert len(kubectl.items("jobs")) == 3


def test_rerun_runs_a_failed_job_again_from_its_template(kubectl, cluster, namespace):
    kubectl.create(
        job_manifest(
            "once",
            backoffLimit=0,
            annotations={
                "test.kubectl-batch.io/outcome": "fail",
                "test.kubectl-batch.io/fail-only-in-job": "once",
            },
        )
    )
    kubectl.wait_for(lambda: kubectl.job_condition("once", "Failed"))
    before = kubectl.get("job", "once")
    result = actions.rerun_job(api(cluster, namespace), namespace, "once")
    assert result.created.startswith("once-rerun-")
    kubectl.wait_for(lambda: kubectl.job_condition(result.created, "Complete"))
    new = kubectl.get("job", result.created)
    assert new["metadata"]["labels"][RETRY_OF_LABEL] == "once"
    assert (
        kubectl.get("job", "once")["metadata"]["resourceVersion"]
        == (before["metadata"]["resourceVersion"])
    )


# ----------------------------------------------------------------------- delete


def test_delete_takes_only_the_planned_jobs_and_their_pods(kubectl, cluster, namespace):
    kubectl.create(
        job_manifest("a", labels={"sel": "go"}, annotations=RUN),
        job_manifest("b", labels={"sel": "go"}, annotations=RUN),
        job_manifest("c", labels={"sel": "stay"}, annotations=RUN),
    )
    for name in "abc":
        kubectl.wait_for(lambda n=name: live_pods(kubectl, n), what=f"pod of {name}")
    client = api(cluster, namespace)

    plan = actions.plan_delete(client, namespace, "sel=go")
    assert [(t.kind, t.name, t.pods) for t in plan.targets] == [("Job", "a", 1), ("Job", "b", 1)]
    assert all(j["metadata"].get("deletionTimestamp") is None for j in kubectl.items("jobs"))

    # After the preview: a new job with the same label, and b replaced under its name.
    kubectl.create(job_manifest("d", labels={"sel": "go"}, annotations=RUN))
    kubectl.run("delete", "job", "b", "--wait=true")
    kubectl.create(job_manifest("b", labels={"sel": "go"}, annotations=RUN))
    new_b = kubectl.get("job", "b")["metadata"]["uid"]

    results = {r.target: r for r in actions.execute_delete(client, plan)}
    assert results["job/a"].ok and results["job/a"].changed
    assert results["job/b"].ok and not results["job/b"].changed
    assert "replaced after the preview" in results["job/b"].message
    assert set(results) == {"job/a", "job/b"}

    kubectl.wait_for(
        lambda: {j["metadata"]["name"] for j in kubectl.items("jobs")} == {"b", "c", "d"},
        what="only job a gone",
    )
    assert kubectl.get("job", "b")["metadata"]["uid"] == new_b
    kubectl.wait_for(
        lambda: not kubectl.items("pods", "-l", "batch.kubernetes.io/job-name=a"),
        what="the pods of a to go (propagationPolicy Background)",
    )
    for name in "bcd":
        kubectl.wait_for(lambda n=name: live_pods(kubectl, n), what=f"pod of {name}")


def test_delete_dry_run_and_cli_preview_delete_nothing(kubectl, cluster, namespace):
    kubectl.create(
        job_manifest("x1", labels={"sel": "go"}),
        job_manifest("x2", labels={"sel": "go"}),
        job_manifest("keep", labels={"sel": "no"}),
    )
    kubectl.wait_for(lambda: all(finished(kubectl, n) for n in ("x1", "x2", "keep")))
    before = {j["metadata"]["uid"] for j in kubectl.items("jobs")}

    done = cli(cluster, namespace, "delete", "-l", "sel=go", "--dry-run")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"2 objects in namespace {namespace} would be deleted, with 2 pods:"
    assert lines[1].split() == ["job.batch/x1", "1", "pod"]
    assert lines[2].split() == ["job.batch/x2", "1", "pod"]
    assert lines[-1] == "nothing deleted (server dry run)"

    # No terminal and no --yes: refused, nothing deleted.
    refused = cli(cluster, namespace, "delete", "-l", "sel=go")
    assert "pass --yes" in one_line_error(refused)
    # No selector: refused before anything is listed.
    assert "--all" in one_line_error(cli(cluster, namespace, "delete"))
    # Empty match.
    assert "nothing to delete" in one_line_error(cli(cluster, namespace, "delete", "-l", "x=y"))
    time.sleep(1)
    jobs = kubectl.items("jobs")
    assert {j["metadata"]["uid"] for j in jobs} == before
    assert all(j["metadata"].get("deletionTimestamp") is None for j in jobs)

    done = cli(cluster, namespace, "delete", "-l", "sel=go", "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ['job.batch "x1" deleted', 'job.batch "x2" deleted']
    kubectl.wait_for(lambda: [j["metadata"]["name"] for j in kubectl.items("jobs")] == ["keep"])


def test_a_restricted_identity_is_refused_clearly(kubectl, cluster, namespace):
    kubectl.create(
        job_manifest("mine", labels={"sel": "go"}),
        cronjob_manifest("cron"),
    )
    config = kubeconfigs.restricted(
        kubectl,
        namespace,
        [
            {
                "apiGroups": ["batch"],
                "resources": ["jobs", "cronjobs"],
                "verbs": ["get", "list", "watch"],
            },
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
        ],
    )
    client = api(config, namespace)
    with pytest.raises(ActionError) as caught:
        actions.plan_delete(client, namespace, "sel=go")
    assert str(caught.value).startswith(f"forbidden: cannot delete jobs in namespace {namespace}")
    assert f"system:serviceaccount:{namespace}:restricted" in str(caught.value)
    with pytest.raises(ActionError, match="forbidden: cannot patch cronjobs"):
        actions.set_suspend(client, "CronJob", namespace, "cron", True)
    with pytest.raises(ActionError, match="forbidden: cannot create jobs"):
        actions.trigger_cronjob(client, namespace, "cron")
    allowed, reason = actions.can_i(client, "list", "jobs", "batch", namespace)
    assert allowed and reason == ""

    line = one_line_error(cli(config, namespace, "delete", "-l", "sel=go", "--yes"))
    assert line.startswith("error: forbidden: cannot delete jobs")
    line = one_line_error(cli(config, namespace, "suspend", "cronjob/cron"))
    assert line.startswith("error: forbidden: cannot patch cronjobs")
    assert kubectl.get("cronjob", "cron")["spec"]["suspend"] is False
    assert [j["metadata"]["name"] for j in kubectl.items("jobs")] == ["mine"]


# -------------------------------------------------------------------------- CLI


def test_cli_suspend_resume_and_trigger(kubectl, cluster, namespace):
    kubectl.create(cronjob_manifest("nightly"), cronjob_manifest("weekly"))

    done = cli(cluster, namespace, "suspend", "cronjob/nightly", "cj/weekly")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "cronjob.batch/nightly suspended",
        "cronjob.batch/weekly suspended",
    ]
    assert kubectl.get("cronjob", "nightly")["spec"]["suspend"] is True
    done = cli(cluster, namespace, "suspend", "cronjobs", "nightly")
    assert done.stdout.splitlines() == ["cronjob.batch/nightly already suspended"]

    done = cli(cluster, namespace, "resume", "cronjob.batch", "nightly", "--dry-run")
    assert done.stdout.splitlines() == ["cronjob.batch/nightly resumed (server dry run)"]
    assert kubectl.get("cronjob", "nightly")["spec"]["suspend"] is True

    # Bulk with a partial failure: each outcome printed, exit 1.
    done = cli(cluster, namespace, "resume", "cronjob/nightly", "cronjob/missing")
    assert done.returncode == 1
    assert done.stdout.splitlines() == ["cronjob.batch/nightly resumed"]
    assert done.stderr.strip() == 'error: cronjobs.batch "missing" not found'

    done = cli(cluster, namespace, "trigger", "cronjob/nightly", "--name", "now")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "job.batch/now created (from cronjob/nightly)"
    job = kubectl.get("job", "now")
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"


def test_cli_retry_failed(kubectl, cluster, namespace):
    kubectl.create(
        job_manifest(
            "frames",
            completions=4,
            parallelism=4,
            indexed=True,
            backoffLimitPerIndex=0,
            annotations={
                "test.kubectl-batch.io/fail-indexes": "2",
                "test.kubectl-batch.io/fail-only-in-job": "frames",
            },
        )
    )
    kubectl.wait_for(lambda: kubectl.job_condition("frames", "Failed"))
    done = cli(cluster, namespace, "retry-failed", "job/frames")
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    m = re.fullmatch(r"job\.batch/(frames-retry-2-\w{5}) created \(index 2 of job/frames\)", line)
    assert m, line
    kubectl.wait_for(lambda: kubectl.job_condition(m.group(1), "Complete"))
    again = one_line_error(cli(cluster, namespace, "retry-failed", "frames"))
    assert again == "error: nothing to retry in job/frames: index 2 already succeeded in a retry"


def test_cli_errors_are_one_line_and_exit_1(kubectl, cluster, namespace):
    kubectl.create(cronjob_manifest("nightly"))
    assert one_line_error(cli(cluster, namespace, "suspend", "job/missing")) == (
        'error: jobs.batch "missing" not found'
    )
    line = one_line_error(cli(cluster, namespace, "trigger", "job/nightly"))
    assert "this command acts on a cronjob" in line
    line = one_line_error(cli(cluster, namespace, "suspend", "job/nightly"))
    assert "did you mean cronjob/nightly" in line
    line = one_line_error(cli(cluster, namespace, "suspend", "deployment/web"))
    assert line.startswith('error: unknown kind "deployment"')
    line = one_line_error(cli(cluster, namespace, "suspend", "cronjobs", "-l", "a in (b"))
    assert line.startswith('error: invalid selector "a in (b"')
