"""The test cluster is real: the Job and CronJob controllers, KWOK pod fates, and logs."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import job_manifest, served_logs


def test_api_server_reports_its_real_version(kubectl):
    version = json.loads(kubectl.run("version", "-o", "json", ns=False).stdout)
    pinned = dict(
        line.split("=", 1)
        for line in (Path(__file__).parents[1] / "cluster" / "versions.env").read_text().split()
        if "=" in line
    )
    assert version["serverVersion"]["gitVersion"] == pinned["KUBE_VERSION"]


def test_indexed_job_completes_every_index(kubectl):
    kubectl.apply(job_manifest("indexed", completions=5, parallelism=3, indexed=True))
    kubectl.wait_for(lambda: kubectl.job_condition("indexed", "Complete"), what="Complete")
    job = kubectl.get("job", "indexed")
    assert job["status"]["completedIndexes"] == "0-4"
    pods = kubectl.items("pods", "-l", "batch.kubernetes.io/job-name=indexed")
    indexes = sorted(
        int(p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]) for p in pods
    )
    assert indexes == [0, 1, 2, 3, 4]


def test_chosen_index_fails_with_its_exit_code(kubectl):
    kubectl.apply(
        job_manifest(
            "one-index-fails",
            completions=5,
            parallelism=5,
            indexed=True,
            backoffLimitPerIndex=1,
            annotations={
                "test.kubectl-batch.io/fail-indexes": "2",
                "test.kubectl-batch.io/exit-code": "3",
            },
        )
    )
    failed = kubectl.wait_for(
        lambda: kubectl.job_condition("one-index-fails", "Failed"), timeout=90
    )
    assert failed["reason"] == "FailedIndexes"
    status = kubectl.get("job", "one-index-fails")["status"]
    assert status["failedIndexes"] == "2"
    assert status["completedIndexes"] == "0,1,3,4"
    pods = kubectl.items("pods", "-l", "batch.kubernetes.io/job-name=one-index-fails")
    failed_pods = [p for p in pods if p["status"]["phase"] == "Failed"]
    assert len(failed_pods) == 2  # the first try and the one retry backoffLimitPerIndex allows
    for pod in failed_pods:
        assert pod["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == "2"
        assert pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 3


def test_running_pods_stay_running_until_deleted(kubectl):
    kubectl.apply(job_manifest("runs", annotations={"test.kubectl-batch.io/outcome": "run"}))
    kubectl.wait_for(
        lambda: kubectl.get("job", "runs").get("status", {}).get("ready") == 1, what="ready pod"
    )
    kubectl.run("delete", "job", "runs", "--wait=true", "--timeout=60s")
    kubectl.wait_for(
        lambda: not kubectl.items("pods", "-l", "batch.kubernetes.io/job-name=runs"),
        what="pods to go with their job",
    )


def test_cronjob_and_create_job_from_it(kubectl):
    kubectl.apply(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "nightly"},
            "spec": {
                "schedule": "0 3 * * *",
                "jobTemplate": {"spec": job_manifest("x", annotations={"team": "data"})["spec"]},
            },
        }
    )
    kubectl.run("create", "job", "nightly-manual", "--from=cronjob/nightly")
    kubectl.wait_for(lambda: kubectl.job_condition("nightly-manual", "Complete"), what="Complete")
    job = kubectl.get("job", "nightly-manual")
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"


def test_pod_logs_come_from_the_configured_file(kubectl, namespace):
    with served_logs(
        kubectl,
        namespace,
        "2026-01-01T00:00:00Z stdout F epoch 1 loss=0.93",
        "2026-01-01T00:00:01Z stdout F epoch 2 loss=0.71",
    ):
        kubectl.apply(job_manifest("talks", annotations={"test.kubectl-batch.io/outcome": "run"}))
        pod = kubectl.wait_for(
            lambda: [
                p["metadata"]["name"]
                for p in kubectl.items("pods", "-l", "batch.kubernetes.io/job-name=talks")
                if p["status"].get("phase") == "Running"
            ],
            what="running pod",
        )[0]
        out = kubectl.wait_for(
            lambda: kubectl.run("logs", pod, check=False).stdout, what="logs", timeout=30
        )
        assert out == "epoch 1 loss=0.93\nepoch 2 loss=0.71\n"
