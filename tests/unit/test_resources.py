"""The cache keeps projections of pods and Jobs (kube/resources.py): everything the views
and the batch rules read must come out the same from the projection as from the whole
object the API server sent."""

from __future__ import annotations

import copy
import json
import sys
from datetime import datetime, timezone

from fixtures.tui_fakes import recorded

from kubectl_batch.domain.backoff import index_backoffs, job_backoff, next_pod_time
from kubectl_batch.domain.cronjobs import cronjob_outlook
from kubectl_batch.domain.index_progress import index_progress
from kubectl_batch.domain.jobs import JobSummary, is_indexed
from kubectl_batch.kube.resources import drop_managed_fields, slim_cronjob, slim_job, slim_pod
from kubectl_batch.tui.present import pod_row

NOW = datetime(2026, 3, 9, 13, tzinfo=timezone.utc)


def clock() -> datetime:
    return NOW


def _pods_by_job(data: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for pod in data["pods"]:
        for ref in pod["metadata"].get("ownerReferences") or ():
            out.setdefault(ref["uid"], []).append(pod)
    return out


def test_batch_rules_read_the_same_from_the_projections():
    data = recorded()
    by_job = _pods_by_job(data)
    assert sum(len(p) for p in by_job.values()) > 20
    for job in data["jobs"]:
        pods = by_job.get(job["metadata"]["uid"], [])
        slim, slim_pods = slim_job(job), [slim_pod(p) for p in pods]
        assert next_pod_time(slim, slim_pods) == next_pod_time(job, pods)
        assert job_backoff(slim, slim_pods) == job_backoff(job, pods)
        assert index_backoffs(slim, slim_pods) == index_backoffs(job, pods)
        assert JobSummary.from_job(slim, clock) == JobSummary.from_job(job, clock)
        if is_indexed(job):
            whole = index_progress(job, pods, clock)
            part = index_progress(slim, slim_pods, clock)
            assert list(part.runs()) == list(whole.runs())
            assert [d.attempts for d in part.details()] == [d.attempts for d in whole.details()]
    for pod in data["pods"]:
        assert pod_row(slim_pod(pod)) == pod_row(pod)


def test_pod_projection_keeps_sidecars_exit_codes_and_the_job_tracking_finalizer():
    pod = copy.deepcopy(recorded()["pods"][0])
    pod["metadata"]["managedFields"] = [{"manager": "kubelet", "fieldsV1": {"f:status": {}}}]
    pod["metadata"]["finalizers"] = ["batch.kubernetes.io/job-tracking"]
    pod["spec"]["initContainers"] = [
        {"name": "proxy", "image": "proxy:1", "restartPolicy": "Always"},
        {"name": "setup", "image": "setup:1"},
    ]
    pod["status"]["containerStatuses"] = [
        {
            "name": "main",
            "image": "app:1",
            "imageID": "app@sha256:0",
            "containerID": "containerd://1",
            "restartCount": 2,
            "ready": False,
            "started": False,
            "state": {"terminated": {"exitCode": 3, "reason": "Error", "containerID": "x"}},
            "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2026-03-09T12:00:00Z"}},
        }
    ]
    slim = slim_pod(pod)
    assert "managedFields" not in slim["metadata"]
    assert slim["metadata"]["finalizers"] == ["batch.kubernetes.io/job-tracking"]
    assert slim["spec"]["initContainers"] == [
        {"name": "proxy", "restartPolicy": "Always"},
        {"name": "setup"},
    ]
    (status,) = slim["status"]["containerStatuses"]
    assert status == {
        "name": "main",
        "restartCount": 2,
        "ready": False,
        "state": {"terminated": {"exitCode": 3, "reason": "Error"}},
        "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2026-03-09T12:00:00Z"}},
    }


def test_repeated_strings_of_pods_are_shared():
    pods = [slim_pod(copy.deepcopy(p)) for p in recorded()["pods"][:2]]
    a, b = (p["status"]["phase"] for p in pods)
    assert a == b and a is b and a is sys.intern(a)


def test_job_projection_drops_the_pod_template_spec_only():
    job = copy.deepcopy(recorded()["jobs"][0])
    slim = slim_job(job)
    assert slim["status"] == job["status"] or all(
        {k: v for k, v in c.items() if v is not None}
        == {k: v for k, v in o.items() if v is not None}
        for c, o in zip(slim["status"]["conditions"], job["status"]["conditions"], strict=True)
    )
    assert set(slim["spec"]) == set(job["spec"])
    names = [c["name"] for c in job["spec"]["template"]["spec"]["containers"]]
    assert slim["spec"]["template"] == {
        "spec": {
            "restartPolicy": job["spec"]["template"]["spec"]["restartPolicy"],
            "containers": [{"name": n} for n in names],
        }
    }


def test_cronjob_projection_drops_the_job_templates_pod_spec_only():
    for cronjob in recorded()["cronjobs"]:
        slim = slim_cronjob(copy.deepcopy(cronjob))
        assert cronjob_outlook(slim, NOW, 5) == cronjob_outlook(cronjob, NOW, 5)
        template = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        kept = slim["spec"]["jobTemplate"]["spec"]["template"]
        assert kept == {
            "spec": {
                "restartPolicy": template["restartPolicy"],
                "containers": [{"name": c["name"]} for c in template["containers"]],
            }
        }
        assert {k: v for k, v in slim["spec"].items() if k != "jobTemplate"} == {
            k: v for k, v in cronjob["spec"].items() if k != "jobTemplate"
        }


def _go_json(obj: dict) -> bytes:
    """Compact JSON with ObjectMeta's managedFields last, as the API server writes it."""
    meta = obj["metadata"]
    ordered = {k: v for k, v in meta.items() if k != "managedFields"}
    if "managedFields" in meta:
        ordered["managedFields"] = meta["managedFields"]
    return json.dumps({**obj, "metadata": ordered}, separators=(",", ":")).encode()


def _managed(manager: str) -> list[dict]:
    return [
        {
            "manager": manager,
            "operation": "Update",
            "apiVersion": "v1",
            "time": "2026-03-09T12:00:00Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {".": {}, 'f:a"]},"spec":{': {}}},
                "f:spec": {"f:containers": {'k:{"name":"main"}': {".": {}, "f:image": {}}}},
                "f:status": {"f:conditions": {'k:{"type":"Ready"}': {".": {}}}},
            },
            "subresource": "status",
        }
    ]


def test_managed_fields_are_cut_from_a_list_page_before_decoding():
    pods = copy.deepcopy(recorded()["pods"][:6])
    for i, pod in enumerate(pods):
        if i % 3:  # some without managed fields at all
            pod["metadata"]["managedFields"] = _managed(f'kubelet]}},"spec":{{"x{i}')
    page = (
        b'{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":['
        + b",".join(_go_json(p) for p in pods)
        + b"]}"
    )
    assert b',"managedFields":[' in page
    cut = drop_managed_fields(page)
    assert b"managedFields" not in cut
    expected = copy.deepcopy(pods)
    for pod in expected:
        pod["metadata"].pop("managedFields", None)
    assert json.loads(cut)["items"] == expected


def test_a_page_without_managed_fields_is_left_as_it_is():
    page = b'{"items":[' + _go_json(recorded()["jobs"][0]) + b"]}"
    assert drop_managed_fields(page) is page
