"""Workloads that are stuck (or end) for one known reason each, on the test cluster.

Shared by tests/e2e/test_why.py (run against the real controllers) and
tests/unit/fixtures/record_why.py (which records what they became into why.json for the unit
tests of domain/diagnosis.py). Each scenario is created in a namespace of its own (a quota
would hold back the others). Fates come from tests/cluster/kwok.yaml's annotations or from
the real scheduler and API server.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FATE = "test.kubectl-batch.io/"


def job(
    name: str,
    *,
    annotations: dict[str, str] | None = None,
    pod_spec: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
    restart_policy: str = "Never",
    **spec: Any,
) -> dict[str, Any]:
    template_spec = {
        "restartPolicy": restart_policy,
        "containers": [{"name": "main", "image": "busybox:1.36"}],
        **(pod_spec or {}),
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, **({"labels": labels} if labels else {})},
        "spec": {
            "template": {
                "metadata": {
                    "annotations": {f"{FATE}{k}": v for k, v in (annotations or {}).items()}
                },
                "spec": template_spec,
            },
            **spec,
        },
    }


@dataclass(frozen=True)
class Scenario:
    name: str
    objects: tuple[dict[str, Any], ...]
    #: The finding that must show (domain/diagnosis.py code) and what the WHY cell reads
    #: (a regular expression matched against the whole cell).
    code: str
    why: str
    #: Whether `kubectl batch why` exits 1.
    stuck: bool
    #: Done once the Job exists, with the Kubectl helper and the namespace (e.g. let one
    #: worker of a work queue succeed).
    then: Callable[[Any], None] | None = None
    #: A text the whole (detail) text must hold.
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def job_name(self) -> str:
        return self.name

    def matches(self, why: str) -> bool:
        return re.fullmatch(self.why, why) is not None


def _finish_one_worker(kubectl: Any) -> None:
    """Let the first pod of a work-queue Job succeed (kwok completes it once annotated)."""
    pods = kubectl.wait_for(
        lambda: (
            [
                p
                for p in kubectl.items("pods", "-l", "batch.kubernetes.io/job-name=draining")
                if p["status"].get("phase") == "Running"
            ]
            if len(kubectl.items("pods", "-l", "batch.kubernetes.io/job-name=draining")) >= 2
            else None
        ),
        what="two running workers",
    )
    kubectl.run(
        "annotate", "pod", pods[0]["metadata"]["name"], f"{FATE}outcome=succeed", "--overwrite"
    )


def _delete_the_pod(kubectl: Any) -> None:
    """Delete the running pod; kwok keeps it terminating (terminate-duration)."""
    selector = "batch.kubernetes.io/job-name=terminating"
    pods = kubectl.wait_for(
        lambda: [
            p
            for p in kubectl.items("pods", "-l", selector)
            if p["status"].get("phase") == "Running"
        ],
        what="a running pod",
    )
    kubectl.run("delete", "pod", pods[0]["metadata"]["name"], "--wait=false")


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "unschedulable-selector",
        (job("unschedulable-selector", pod_spec={"nodeSelector": {"accelerator": "h100"}}),),
        "unschedulable",
        r"unschedulable: no node matches nodeSelector accelerator=h100",
        True,
        detail="didn't match Pod's node affinity/selector",
    ),
    Scenario(
        "unschedulable-gpu",
        (
            job(
                "unschedulable-gpu",
                pod_spec={
                    "containers": [
                        {
                            "name": "main",
                            "image": "busybox:1.36",
                            "resources": {"limits": {"nvidia.com/gpu": "1"}},
                        }
                    ]
                },
            ),
        ),
        "unschedulable",
        r"unschedulable: insufficient nvidia\.com/gpu \(0/1 nodes\)",
        True,
    ),
    Scenario(
        "unbound-pvc",
        (
            job(
                "unbound-pvc",
                pod_spec={
                    "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
                },
            ),
        ),
        "unschedulable",
        r'unschedulable: persistentvolumeclaim "data" not found',
        True,
    ),
    Scenario(
        "image-pull",
        (
            job(
                "image-pull",
                annotations={"outcome": "image-pull-fail"},
                pod_spec={
                    "containers": [{"name": "main", "image": "registry.example/team/trainer:v9"}]
                },
            ),
        ),
        "image",
        r"ImagePullBackOff registry\.example/team/trainer:v9",
        True,
    ),
    Scenario(
        "config-error",
        (
            job(
                "config-error",
                annotations={
                    "outcome": "config-error",
                    "message": "couldn't find key password in Secret db",
                },
            ),
        ),
        "config",
        r"config: couldn't find key password in Secret db",
        True,
    ),
    Scenario(
        "mount-fail",
        (job("mount-fail", annotations={"outcome": "mount-fail"}),),
        "mount",
        r'FailedMount: volume settings: configmap "settings" not found',
        True,
    ),
    Scenario(
        "init-fail",
        (
            job(
                "init-fail",
                restart_policy="OnFailure",
                annotations={"fail-init-container": "input", "exit-code": "1"},
                pod_spec={
                    "initContainers": [
                        {"name": "fetch", "image": "busybox:1.36"},
                        {"name": "input", "image": "busybox:1.36"},
                    ]
                },
            ),
        ),
        "init",
        r"Init:1/2 input: exit 1, restarts 1, (next start in \d+s|starting)",
        True,
        detail="count towards backoffLimit 6",
    ),
    Scenario(
        "init-running",
        (
            job(
                "init-running",
                annotations={"init-duration": "1h"},
                pod_spec={"initContainers": [{"name": "fetch", "image": "busybox:1.36"}]},
            ),
        ),
        "init",
        r"Init:0/1 fetch running",
        False,
    ),
    Scenario(
        "crashloop",
        (
            job(
                "crashloop",
                restart_policy="OnFailure",
                backoffLimit=10,
                annotations={
                    "outcome": "crashloop",
                    "exit-code": "3",
                    "crash-backoff": "40s",
                    "duration": "1s",
                },
            ),
        ),
        "crashloop",
        r"restarts 1, exit 3, (next start in \d+s|starting)",
        True,
        detail="count towards backoffLimit 10",
    ),
    Scenario(
        "quota",
        (
            {
                "apiVersion": "v1",
                "kind": "ResourceQuota",
                "metadata": {"name": "pods-max"},
                "spec": {"hard": {"pods": "0"}},
            },
            job("quota"),
        ),
        "create",
        r"cannot create pods: exceeded quota pods-max",
        True,
        detail="exceeded quota: pods-max",
    ),
    Scenario(
        "queued",
        (job("queued", suspend=True, labels={"kueue.x-k8s.io/queue-name": "team-a"}),),
        "queued",
        r"queued in team-a",
        False,
    ),
    Scenario(
        "managed-by",
        (job("managed-by", suspend=True, managedBy="example.com/queue"),),
        "queued",
        r"queued in example\.com/queue",
        False,
    ),
    Scenario(
        "backoff",
        (job("backoff", annotations={"outcome": "fail"}, backoffLimit=6),),
        "backoff",
        r"retry in \d+s|retrying",
        False,
    ),
    Scenario(
        "terminating",
        (
            job(
                "terminating",
                annotations={"outcome": "run", "terminate-duration": "1h"},
                podReplacementPolicy="Failed",
            ),
        ),
        "terminating",
        r"waiting for 1 terminating pod\(s\)",
        False,
        then=_delete_the_pod,
        detail="podReplacementPolicy: Failed",
    ),
    Scenario(
        "deadline",
        (job("deadline", annotations={"outcome": "run"}, activeDeadlineSeconds=3600),),
        "deadline",
        r"deadline in (59m|1h)",
        False,
    ),
    Scenario(
        "ttl",
        (job("ttl", ttlSecondsAfterFinished=3600),),
        "ttl",
        r"deleted in (59m|1h)",
        False,
    ),
    Scenario(
        "eta",
        (job("eta", annotations={"duration": "2s"}, completions=40, parallelism=2),),
        "eta",
        r"ETA \d+[sm]",
        False,
        detail="pods succeeded in the last",
    ),
    Scenario(
        "draining",
        (job("draining", annotations={"outcome": "run"}, completions=None, parallelism=2),),
        "draining",
        r"draining: 1 of 2 workers done",
        False,
        then=_finish_one_worker,
    ),
)

BY_NAME = {s.name: s for s in SCENARIOS}


def manifests(scenario: Scenario) -> list[dict[str, Any]]:
    """The objects to create, a Job's ``completions: None`` dropped (a work queue)."""
    out = []
    for obj in scenario.objects:
        obj = dict(obj)
        if (
            obj["kind"] == "Job"
            and "completions" in obj["spec"]
            and obj["spec"]["completions"] is None
        ):
            obj["spec"] = {k: v for k, v in obj["spec"].items() if k != "completions"}
        out.append(obj)
    return out
