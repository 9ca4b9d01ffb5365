"""Our backoff prediction against the real Job controller: the next pod appears when we said."""

from __future__ import annotations

from datetime import datetime

from conftest import job_manifest

from kubectl_batch.domain.backoff import index_backoff, next_pod_time

INDEX = "batch.kubernetes.io/job-completion-index"


def created(pod: dict) -> datetime:
    return datetime.fromisoformat(pod["metadata"]["creationTimestamp"].replace("Z", "+00:00"))


def pods_of(kubectl, job: str) -> list[dict]:
    return kubectl.items("pods", "-l", f"batch.kubernetes.io/job-name={job}")


def prediction_errors(kubectl, job_name: str, failures: int, predict, watched=lambda p: p):
    """For each of the first `failures` failures of the `watched` pods: predict the next pod's
    creation while all of them have failed, then return actual - predicted, in seconds."""
    errors = []
    for n in range(1, failures + 1):

        def backing_off(n=n):
            all_pods = pods_of(kubectl, job_name)
            pods = watched(all_pods)
            if len(pods) == n and all(p["status"].get("phase") == "Failed" for p in pods):
                when = predict(kubectl.get("job", job_name), all_pods)
                return (when, {p["metadata"]["uid"] for p in pods}) if when else None
            return None

        predicted, seen = kubectl.wait_for(
            backing_off, timeout=60, interval=0.25, what=f"failure {n}"
        )
        new_pod = kubectl.wait_for(
            lambda seen=seen: [
                p for p in watched(pods_of(kubectl, job_name)) if p["metadata"]["uid"] not in seen
            ],
            timeout=120,
            interval=0.25,
            what=f"the pod after failure {n}",
        )[0]
        errors.append((created(new_pod) - predicted).total_seconds())
    return errors


def test_whole_job_backoff_predicts_the_next_pod(kubectl):
    kubectl.apply(
        job_manifest(
            "flaky",
            backoffLimit=3,
            annotations={
                "test.kubectl-batch.io/outcome": "fail",
                "test.kubectl-batch.io/duration": "500ms",
            },
        )
    )
    errors = prediction_errors(kubectl, "flaky", 2, next_pod_time)  # 10 s, then 20 s
    assert all(abs(e) <= 2 for e in errors), errors


def test_per_index_backoff_predicts_the_next_pod_of_the_index(kubectl):
    kubectl.apply(
        job_manifest(
            "sweep",
            completions=3,
            parallelism=3,
            indexed=True,
            backoffLimitPerIndex=3,
            annotations={
                "test.kubectl-batch.io/fail-indexes": "1",
                "test.kubectl-batch.io/duration": "500ms",
            },
        )
    )

    def predict(job, pods):
        backoff = index_backoff(job, 1, pods)
        return backoff.until if backoff else None

    errors = prediction_errors(
        kubectl,
        "sweep",
        2,
        predict,
        watched=lambda pods: [p for p in pods if p["metadata"]["labels"].get(INDEX) == "1"],
    )
    assert all(abs(e) <= 2 for e in errors), errors
