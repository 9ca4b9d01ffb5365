"""Actions without a cluster: argument parsing, the objects we send, messages, exit codes.
A small fake API client records requests and answers from a routing table."""

from __future__ import annotations

import argparse
import copy
import io
import json
import re
from types import SimpleNamespace

import pytest

from kubectl_batch.cli import build_parser, main
from kubectl_batch.commands import actions as cmd
from kubectl_batch.domain.indexes import IndexSet
from kubectl_batch.domain.jobs import (
    COMPLETION_INDEX_ANNOTATION,
    RETRY_INDEXES_ANNOTATION,
    RETRY_OF_LABEL,
    read_lineage,
)
from kubectl_batch.kube import actions
from kubectl_batch.kube.actions import ActionError
from kubectl_batch.kube.actions.common import target_of
from kubectl_batch.kube.client import ApiError
from kubectl_batch.kube.errors import describe

SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
SSR = "/apis/authentication.k8s.io/v1/selfsubjectreviews"


class FakeClient:
    """Answers (method, path) from `routes`: a dict, an ApiError to raise, or a callable
    taking (params, body). Access reviews are allowed unless `denied` names the verb."""

    def __init__(self, routes=None, namespace="ns", denied=()):
        self.routes = dict(routes or {})
        self.config = SimpleNamespace(namespace=namespace)
        self.denied = set(denied)
        self.calls: list[tuple] = []

    def request(self, method, path, params=None, body=None, **kwargs):
        self.calls.append((method, path, params, copy.deepcopy(body), kwargs))
        if path == SSAR:
            verb = body["spec"]["resourceAttributes"]["verb"]
            return {"status": {"allowed": verb not in self.denied}}
        if path == SSR:
            return {"status": {"userInfo": {"username": "jane"}}}
        answer = self.routes.get((method, path))
        if answer is None:
            raise ApiError(404, "NotFound", f"{path} not found")
        if isinstance(answer, ApiError):
            raise answer
        if callable(answer):
            return answer(params, body)
        return copy.deepcopy(answer)

    def get(self, path, params=None):
        return self.request("GET", path, params)

    def list_pages(self, path, params=None, limit=500, prepare=None):
        yield self.request("GET", path, params)

    def sent(self, method):
        return [c for c in self.calls if c[0] == method and c[1] != SSAR and c[1] != SSR]


def job(name="render", **spec_and_status):
    status = spec_and_status.pop("status", {})
    meta = spec_and_status.pop("metadata", {})
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}", **meta},
        "spec": {
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": f"uid-{name}"}},
            "template": {
                "metadata": {
                    "labels": {
                        "batch.kubernetes.io/controller-uid": f"uid-{name}",
                        "controller-uid": f"uid-{name}",
                        "batch.kubernetes.io/job-name": name,
                        "job-name": name,
                        "app": "render",
                    },
                    "annotations": {"keep": "me"},
                },
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "main", "image": "busybox"}],
                },
            },
            **spec_and_status,
        },
        "status": status,
    }


def failed_condition(reason="FailedIndexes"):
    return [{"type": "Failed", "status": "True", "reason": reason}]


# ------------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    "words, expected",
    [
        (["cronjob/nightly"], [("CronJob", "nightly")]),
        (["cj/a", "job/b", "cronjobs.batch/c"], [("CronJob", "a"), ("Job", "b"), ("CronJob", "c")]),
        (["cronjob", "a", "b"], [("CronJob", "a"), ("CronJob", "b")]),
        (["jobs", "x"], [("Job", "x")]),
        (["job.batch", "x"], [("Job", "x")]),
        (["Job/x"], [("Job", "x")]),
        (["CJ", "x"], [("CronJob", "x")]),
    ],
)
def test_kubectl_spellings_of_objects(words, expected):
    assert cmd.parse_refs(words, ("Job", "CronJob")) == expected


@pytest.mark.parametrize(
    "words, message",
    [
        ([], "no object given"),
        (["deployment/web"], 'unknown kind "deployment"'),
        (["cronjob/a", "b"], '"b" has no kind'),
        (["cronjob"], "no cronjob name given"),
        (["cronjob/"], "is not of the form KIND/NAME"),
        (["pods", "x"], 'unknown kind "pods"'),
    ],
)
def test_bad_objects_are_one_sentence(words, message):
    with pytest.raises(ActionError, match=re.escape(message)):
        cmd.parse_refs(words, ("Job", "CronJob"))


def test_commands_on_one_kind_accept_a_bare_name_and_refuse_the_other_kind():
    assert cmd.parse_one(["nightly"], "CronJob") == "nightly"
    assert cmd.parse_one(["cronjob", "nightly"], "CronJob") == "nightly"
    assert cmd.parse_one(["cj/nightly"], "CronJob") == "nightly"
    with pytest.raises(ActionError, match="job/x is a Job: this command acts on a cronjob"):
        cmd.parse_one(["job/x"], "CronJob")
    with pytest.raises(ActionError, match="acts on one job, 2 were given"):
        cmd.parse_one(["job", "a", "b"], "Job")


def test_kinds_for_selectors():
    assert cmd.parse_kinds(["cronjobs"], None) == ("CronJob",)
    assert cmd.parse_kinds(["jobs,cj"], None) == ("Job", "CronJob")
    assert cmd.parse_kinds([], ("Job",)) == ("Job",)
    with pytest.raises(ActionError, match="give the kind"):
        cmd.parse_kinds([], None)
    assert cmd.parse_delete_kinds("all") == ("Job", "CronJob")
    assert cmd.parse_delete_kinds("cronjobs") == ("CronJob",)
    assert cmd.parse_delete_kinds("jobs") == ("Job",)


def test_kind_names():
    assert actions.normalize_kind("cronjob.v1.batch") == "CronJob"
    assert target_of("cj", "x") == "cronjob/x"
    assert actions.kubectl_ref("cronjob/nightly") == "cronjob.batch/nightly"


def test_parser_defines_every_action():
    p = build_parser()
    a = p.parse_args(["suspend", "cronjob/x", "job/y", "--dry-run", "-n", "etl"])
    assert (a.action, a.objects, a.dry_run, a.namespace) == (
        "suspend",
        ["cronjob/x", "job/y"],
        True,
        "etl",
    )
    assert a.handler == "kubectl_batch.commands.actions"
    a = p.parse_args(["-n", "etl", "resume", "cronjobs", "-l", "team=a"])
    assert (a.action, a.objects, a.selector, a.namespace, a.dry_run) == (
        "resume",
        ["cronjobs"],
        "team=a",
        "etl",
        False,
    )
    a = p.parse_args(["trigger", "cronjob/x", "--name", "now"])
    assert (a.action, a.job_name) == ("trigger", "now")
    a = p.parse_args(["retry-failed", "job/x", "--max-jobs", "500"])
    assert (a.action, a.max_jobs, a.dry_run) == ("retry-failed", 500, False)
    a = p.parse_args(["rerun", "job/x", "--dry-run"])
    assert (a.action, a.dry_run) == ("rerun", True)
    a = p.parse_args(["delete", "-l", "a=b", "--kind", "all", "--yes", "--dry-run", "-A"])
    assert (a.action, a.kind, a.yes, a.dry_run, a.all, a.all_namespaces) == (
        "delete",
        "all",
        True,
        True,
        False,
        True,
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (["suspend"], "error: no object given"),
        (["suspend", "foo/bar"], 'error: unknown kind "foo"'),
        (["resume", "-l", "a=b"], "error: give the kind to select"),
        (["trigger", "job/x"], "error: job/x is a Job: this command acts on a cronjob"),
        (["retry-failed", "cronjob/x"], "error: cronjob/x is a CronJob"),
        (["delete"], "error: refusing to delete without a selector"),
        (["delete", "job/x"], "error: delete selects by label"),
        (["delete", "-l", "a=b", "--kind", "pods"], 'error: unknown kind "pods"'),
        (["trigger"], "error: the following arguments are required"),
    ],
)
def test_bad_arguments_exit_1_with_one_line_before_connecting(argv, message, capsys, tmp_path):
    # A kubeconfig that does not exist: reaching for the cluster would say so instead.
    rc = main(["--kubeconfig", str(tmp_path / "none"), *argv])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.startswith(message), err
    assert "Traceback" not in err
    if not message.endswith("required"):
        assert len(err.strip().splitlines()) == 1


def test_action_errors_are_described_as_they_are():
    assert describe(ActionError("job/x is still running")) == "job/x is still running"


# ------------------------------------------------------------------------ trigger


CRONJOB = {
    "apiVersion": "batch/v1",
    "kind": "CronJob",
    "metadata": {"name": "nightly", "namespace": "ns", "uid": "cj-uid", "labels": {"x": "y"}},
    "spec": {
        "schedule": "0 1 * * *",
        "jobTemplate": {
            "metadata": {
                "labels": {"team": "etl"},
                "annotations": {"a": "1", "cronjob.kubernetes.io/instantiate": "template"},
            },
            "spec": {"backoffLimit": 2, "template": {"spec": {"containers": [{"name": "c"}]}}},
        },
    },
}


def test_job_from_cronjob_is_what_kubectl_create_job_from_sends():
    body = actions.job_from_cronjob(CRONJOB, "run-1")
    assert body == {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "run-1",
            "namespace": "ns",
            "annotations": {"cronjob.kubernetes.io/instantiate": "template", "a": "1"},
            "labels": {"team": "etl"},
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": "nightly",
                    "uid": "cj-uid",
                    "controller": True,
                }
            ],
        },
        "spec": CRONJOB["spec"]["jobTemplate"]["spec"],
    }
    assert body["spec"] is not CRONJOB["spec"]["jobTemplate"]["spec"]
    bare = copy.deepcopy(CRONJOB)
    bare["spec"]["jobTemplate"]["metadata"] = {}
    meta = actions.job_from_cronjob(bare, "run-2")["metadata"]
    assert meta["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual"}
    assert "labels" not in meta


def test_manual_job_names():
    assert re.fullmatch(
        r"nightly-manual-[bcdfghjklmnpqrstvwxz2456789]{5}", actions.manual_job_name("nightly")
    )
    long = actions.manual_job_name("c" * 52)  # the longest CronJob name the API accepts
    assert len(long) == 63 and long.startswith("c" * 50 + "-manual-")


def test_trigger_posts_the_job_and_retries_a_generated_name_on_a_clash():
    names = []

    def create(params, body):
        names.append(body["metadata"]["name"])
        if len(names) == 1:
            raise ApiError(409, "AlreadyExists", "exists")
        return body

    client = FakeClient(
        {
            ("GET", "/apis/batch/v1/namespaces/ns/cronjobs/nightly"): CRONJOB,
            ("POST", "/apis/batch/v1/namespaces/ns/jobs"): create,
        }
    )
    result = actions.trigger_cronjob(client, "ns", "nightly", dry_run=True)
    assert len(names) == 2 and names[0] != names[1]
    assert result.created == names[1] and result.dry_run
    assert result.message == f"job/{names[1]} created from cronjob/nightly (dry run)"
    assert all(c[2] == {"dryRun": "All"} for c in client.sent("POST"))


def test_trigger_with_a_taken_name_is_one_sentence():
    client = FakeClient(
        {
            ("GET", "/apis/batch/v1/namespaces/ns/cronjobs/nightly"): CRONJOB,
            ("POST", "/apis/batch/v1/namespaces/ns/jobs"): ApiError(
                409, "AlreadyExists", 'jobs.batch "now" already exists'
            ),
        }
    )
    with pytest.raises(ActionError, match='cannot create job: jobs.batch "now" already exists'):
        actions.trigger_cronjob(client, "ns", "nightly", job_name="now")


# ----------------------------------------------------------------- suspend/resume


def test_suspend_warning_names_the_running_pods():
    running = job(status={"active": 3}, activeDeadlineSeconds=60)
    text = str(actions.suspend_warning(running))
    assert text.startswith("Suspending job ns/render deletes its 3 active pod(s); they are not")
    assert text.endswith("resets the job's start time (and so its activeDeadlineSeconds).")
    assert "its 1 active pod(s)" in str(actions.suspend_warning(job(status={"active": 1})))
    assert "activeDeadlineSeconds" not in str(actions.suspend_warning(job(status={"active": 1})))
    # The TUI counts the pods it sees; the words are the same.
    assert actions.suspend_warning(running, active=8).suspending == (
        "Suspending job ns/render deletes its 8 active pod(s); they are not counted as failures."
    )
    assert actions.suspend_warning(job(status={"active": 0})) is None
    assert actions.suspend_warning(job(suspend=True, status={"active": 2})) is None
    done = job(status={"active": 0, "conditions": [{"type": "Complete", "status": "True"}]})
    assert actions.suspend_warning(done) is None
    assert actions.suspend_warning({"kind": "CronJob", "metadata": {"name": "x"}}) is None


def test_suspend_patches_with_a_merge_patch_and_is_idempotent():
    path = "/apis/batch/v1/namespaces/ns/cronjobs/nightly"
    state = {"suspend": False}

    def patch(params, body):
        if not params:
            state.update(body["spec"])
        return {}

    client = FakeClient({("GET", path): lambda p, b: {"spec": dict(state)}, ("PATCH", path): patch})
    dry = actions.set_suspend(client, "cj", "ns", "nightly", True, dry_run=True)
    assert (dry.changed, dry.dry_run, dry.message) == (
        True,
        True,
        "cronjob/nightly suspended (dry run)",
    )
    assert state == {"suspend": False}
    done = actions.set_suspend(client, "CronJob", "ns", "nightly", True)
    assert (done.target, done.changed, done.message, done.outcome) == (
        "cronjob/nightly",
        True,
        "cronjob/nightly suspended",
        "suspended",
    )
    _, _, params, body, kwargs = client.sent("PATCH")[1]
    assert body == {"spec": {"suspend": True}}
    assert kwargs["content_type"] == "application/merge-patch+json"
    again = actions.set_suspend(client, "CronJob", "ns", "nightly", True)
    assert not again.changed and again.message == "cronjob/nightly is already suspended"
    assert len(client.sent("PATCH")) == 2
    assert cmd.result_line(again) == "cronjob.batch/nightly already suspended"
    assert cmd.result_line(dry) == "cronjob.batch/nightly suspended (server dry run)"


def test_suspend_refuses_when_forbidden_or_finished():
    path = "/apis/batch/v1/namespaces/ns/jobs/render"
    done = job(status={"conditions": [{"type": "Complete", "status": "True"}]})
    client = FakeClient({("GET", path): done}, denied={"patch"})
    with pytest.raises(ActionError) as caught:
        actions.set_suspend(client, "Job", "ns", "render", True)
    assert str(caught.value) == "forbidden: cannot patch jobs in namespace ns (user jane)"
    client = FakeClient({("GET", path): done})
    with pytest.raises(ActionError, match="job/render has already finished \\(Complete\\)"):
        actions.set_suspend(client, "Job", "ns", "render", True)
    assert client.sent("PATCH") == []


def test_a_missing_object_names_the_other_kind_when_it_exists():
    client = FakeClient(
        {
            ("GET", "/apis/batch/v1/namespaces/ns/jobs/nightly"): ApiError(
                404, "NotFound", 'jobs.batch "nightly" not found'
            ),
            ("GET", "/apis/batch/v1/namespaces/ns/cronjobs/nightly"): CRONJOB,
        }
    )
    with pytest.raises(ActionError, match="did you mean cronjob/nightly"):
        actions.set_suspend(client, "job", "ns", "nightly", True)


# ------------------------------------------------------------------------ retries


def indexed(status, **spec):
    return job(completions=5, parallelism=5, completionMode="Indexed", status=status, **spec)


def test_failed_indexes_of_a_job_that_failed_them():
    j = indexed(
        {"completedIndexes": "0,2,4", "failedIndexes": "1,3", "conditions": failed_condition()},
        backoffLimitPerIndex=0,
    )
    state = actions.indexes_to_retry(j)
    assert str(state.todo) == "1,3" and str(state.failed) == "1,3"


def test_never_succeeded_indexes_of_a_job_that_ended_early():
    j = indexed(
        {"completedIndexes": "0,2", "conditions": failed_condition("DeadlineExceeded")},
    )
    assert str(actions.indexes_to_retry(j).todo) == "1,3,4"
    j = indexed(
        {
            "completedIndexes": "0",
            "failedIndexes": "1,2",
            "conditions": failed_condition("MaxFailedIndexesExceeded"),
        },
        backoffLimitPerIndex=1,
        maxFailedIndexes=1,
    )
    assert str(actions.indexes_to_retry(j).todo) == "1-4"


def test_a_complete_job_retries_only_its_failed_indexes():
    j = indexed(
        {
            "completedIndexes": "0",
            "failedIndexes": "2",
            "conditions": [{"type": "Complete", "status": "True", "reason": "SuccessPolicy"}],
        },
        backoffLimitPerIndex=0,
    )
    assert str(actions.indexes_to_retry(j).todo) == "2"


def retry_of(original, index, condition=None, uid=None):
    return {
        "metadata": {
            "name": f"r{index}",
            "labels": {RETRY_OF_LABEL: original["metadata"]["name"]},
            "annotations": {
                RETRY_INDEXES_ANNOTATION: str(index),
                actions.RETRY_OF_UID_ANNOTATION: uid or original["metadata"]["uid"],
            },
        },
        "status": {"conditions": [{"type": condition, "status": "True"}] if condition else []},
    }


def test_earlier_retries_are_subtracted_by_outcome_and_uid():
    j = indexed({"completedIndexes": "0", "conditions": failed_condition("DeadlineExceeded")})
    earlier = [
        retry_of(j, 1, "Complete"),
        retry_of(j, 2),  # still running
        retry_of(j, 3, "Failed"),  # failed again: retried again
        retry_of(j, 4, "Complete", uid="another-job-of-that-name"),
    ]
    state = actions.indexes_to_retry(j, earlier)
    assert (str(state.retried_ok), str(state.in_progress), str(state.todo)) == ("1", "2", "3,4")


def test_retry_job_for_an_index_keeps_the_template_and_pins_the_index():
    original = indexed(
        {},
        backoffLimitPerIndex=2,
        maxFailedIndexes=3,
        successPolicy={"rules": [{"succeededCount": 1}]},
        podFailurePolicy={
            "rules": [{"action": "FailIndex", "onExitCodes": {"operator": "In", "values": [42]}}]
        },
        activeDeadlineSeconds=100,
        ttlSecondsAfterFinished=60,
        metadata={"labels": {"team": "ml", "job-name": "render"}},
    )
    original["spec"]["template"]["spec"]["initContainers"] = [{"name": "init"}]
    original["spec"]["template"]["spec"]["containers"].append(
        {"name": "own", "env": [{"name": "JOB_COMPLETION_INDEX", "value": "mine"}]}
    )
    before = copy.deepcopy(original)
    body = actions.retry_job_for_index(original, 3, "render-retry-3-abcde")
    assert original == before

    meta = body["metadata"]
    assert meta["name"] == "render-retry-3-abcde"
    assert meta["labels"] == {"team": "ml", RETRY_OF_LABEL: "render"}
    assert meta["annotations"] == {
        RETRY_INDEXES_ANNOTATION: "3",
        actions.RETRY_OF_UID_ANNOTATION: "uid-render",
    }
    lineage = read_lineage(body)
    assert lineage.retry_of == "render" and lineage.retry_indexes == IndexSet.parse("3")

    spec = body["spec"]
    assert "selector" not in spec and "manualSelector" not in spec
    assert (spec["completions"], spec["parallelism"], spec["completionMode"]) == (
        1,
        1,
        "NonIndexed",
    )
    assert spec["backoffLimit"] == 2
    for gone in ("backoffLimitPerIndex", "maxFailedIndexes", "successPolicy"):
        assert gone not in spec
    assert spec["podFailurePolicy"]["rules"][0]["action"] == "FailJob"
    assert (spec["activeDeadlineSeconds"], spec["ttlSecondsAfterFinished"]) == (100, 60)

    tmeta = spec["template"]["metadata"]
    assert tmeta["labels"] == {
        "app": "render",
        COMPLETION_INDEX_ANNOTATION: "3",
        RETRY_OF_LABEL: "render",
    }
    assert tmeta["annotations"] == {"keep": "me", COMPLETION_INDEX_ANNOTATION: "3"}
    pod = spec["template"]["spec"]
    assert pod["hostname"] == "render-3"
    assert pod["initContainers"][0]["env"] == [{"name": "JOB_COMPLETION_INDEX", "value": "3"}]
    assert pod["containers"][0]["env"] == [{"name": "JOB_COMPLETION_INDEX", "value": "3"}]
    assert pod["containers"][1]["env"] == [{"name": "JOB_COMPLETION_INDEX", "value": "mine"}]


def test_rerun_body_copies_the_whole_job():
    original = job("once", suspend=True, backoffLimit=4)
    body = actions.rerun_job_body(original, "once-rerun-abcde")
    assert body["metadata"]["labels"] == {RETRY_OF_LABEL: "once"}
    assert RETRY_INDEXES_ANNOTATION not in body["metadata"]["annotations"]
    assert "selector" not in body["spec"] and "suspend" not in body["spec"]
    assert body["spec"]["backoffLimit"] == 4
    assert body["spec"]["template"]["metadata"]["labels"] == {"app": "render"}
    whole = actions.rerun_job_body(indexed({}), "x")
    assert whole["metadata"]["annotations"][RETRY_INDEXES_ANNOTATION] == "0-4"


def retry_client(original, earlier=()):
    created = []

    def create(params, body):
        created.append(body)
        return body

    return created, FakeClient(
        {
            ("GET", "/apis/batch/v1/namespaces/ns/jobs/render"): original,
            ("GET", "/apis/batch/v1/namespaces/ns/jobs"): {"items": list(earlier)},
            ("POST", "/apis/batch/v1/namespaces/ns/jobs"): create,
        }
    )


def test_retry_creates_one_job_per_index_and_reports_them():
    original = indexed(
        {"completedIndexes": "0,2,4", "failedIndexes": "1,3", "conditions": failed_condition()},
        backoffLimitPerIndex=0,
    )
    created, client = retry_client(original)
    result = actions.retry_failed_indexes(client, "ns", "render")
    names = [b["metadata"]["name"] for b in created]
    assert [b["metadata"]["annotations"][RETRY_INDEXES_ANNOTATION] for b in created] == ["1", "3"]
    assert re.fullmatch(r"render-retry-1-\w{5}", names[0])
    assert result.created_all == tuple(names) and result.created == names[0]
    assert result.indexes == "1,3" and result.changed
    assert result.message == f"job/render: retrying indexes 1,3 in 2 new jobs ({', '.join(names)})"
    lookup = [c for c in client.sent("GET") if c[1].endswith("/jobs")]
    assert lookup[0][2] == {"labelSelector": f"{RETRY_OF_LABEL}=render"}


def test_retry_refusals():
    running = indexed({"active": 2})
    with pytest.raises(ActionError, match="job/render is still running \\(Running\\)"):
        actions.retry_failed_indexes(retry_client(running)[1], "ns", "render")
    parked = indexed({}, suspend=True)
    with pytest.raises(ActionError, match="job/render is suspended, not finished"):
        actions.retry_failed_indexes(retry_client(parked)[1], "ns", "render")
    plain = job(status={"conditions": failed_condition("BackoffLimitExceeded")})
    with pytest.raises(ActionError, match="not an Indexed Job.*rerun job/render"):
        actions.retry_failed_indexes(retry_client(plain)[1], "ns", "render")
    many = indexed({"conditions": failed_condition("DeadlineExceeded")})
    with pytest.raises(ActionError, match="5 indexes to retry .* --max-jobs 5"):
        actions.retry_failed_indexes(retry_client(many)[1], "ns", "render", max_jobs=4)
    ok = indexed(
        {"completedIndexes": "0-4", "conditions": [{"type": "Complete", "status": "True"}]}
    )
    with pytest.raises(ActionError, match="nothing to retry in job/render: every index succeeded"):
        actions.retry_failed_indexes(retry_client(ok)[1], "ns", "render")
    failed = indexed({"completedIndexes": "0-3", "conditions": failed_condition()})
    busy = [retry_of(failed, 4)]
    with pytest.raises(ActionError, match="index 4 is being retried now"):
        actions.retry_failed_indexes(retry_client(failed, busy)[1], "ns", "render")


# ------------------------------------------------------------------------- delete


JOBS_PATH = "/apis/batch/v1/namespaces/ns/jobs"
CRONJOBS_PATH = "/apis/batch/v1/namespaces/ns/cronjobs"


def delete_client(extra=None):
    a = job("a", metadata={"labels": {"sel": "go"}})
    b = job("b", metadata={"labels": {"sel": "go"}})
    ref = {"apiVersion": "batch/v1", "kind": "CronJob", "uid": "cj-uid", "controller": True}
    owned = job("owned", metadata={"ownerReferences": [ref]})
    # Not the CronJob's: "controller" is not the boolean true (one rule: domain.jobs).
    stray = job("stray", metadata={"ownerReferences": [dict(ref, controller="true")]})
    pods = {
        "items": [
            {"metadata": {"labels": {"batch.kubernetes.io/controller-uid": uid}}}
            for uid in ("uid-a", "uid-a", "uid-owned")
        ]
    }
    routes = {
        ("GET", JOBS_PATH): lambda p, body: {
            "items": [a, b] if (p or {}).get("labelSelector") else [a, b, owned, stray]
        },
        ("GET", CRONJOBS_PATH): {"items": [CRONJOB]},
        ("GET", "/api/v1/namespaces/ns/pods"): pods,
        ("DELETE", f"{JOBS_PATH}/a"): {},
        ("DELETE", f"{JOBS_PATH}/b"): {},
        ("DELETE", f"{CRONJOBS_PATH}/nightly"): {},
        **(extra or {}),
    }
    return FakeClient(routes)


def test_plan_delete_validates_each_object_with_a_server_dry_run_and_counts_pods():
    client = delete_client()
    plan = actions.plan_delete(client, "ns", "sel=go", ("Job", "cronjobs"))
    assert [(t.target, t.uid, t.pods, t.jobs) for t in plan.targets] == [
        ("job/a", "uid-a", 2, 0),
        ("job/b", "uid-b", 0, 0),
        ("cronjob/nightly", "cj-uid", 1, 1),
    ]
    assert plan.pods == 3 and plan.kinds == ("Job", "CronJob") and plan.namespace == "ns"
    deletes = client.sent("DELETE")
    assert [c[1] for c in deletes] == [
        f"{JOBS_PATH}/a",
        f"{JOBS_PATH}/b",
        f"{CRONJOBS_PATH}/nightly",
    ]
    for _, _, params, body, _ in deletes:
        assert params is None  # DeleteOptions in the body; the server then ignores the query
        assert body["dryRun"] == ["All"]
        assert body["propagationPolicy"] == "Background"
    assert deletes[0][3]["preconditions"] == {"uid": "uid-a"}
    lines = cmd.describe_plan(plan)
    assert [line.split() for line in lines] == [
        ["job.batch/a", "2", "pods"],
        ["job.batch/b", "0", "pods"],
        ["cronjob.batch/nightly", "1", "job,", "1", "pod"],
    ]


def test_plan_delete_refusals():
    with pytest.raises(ActionError, match="select them with -l SELECTOR, or pass --all"):
        actions.plan_delete(delete_client(), "ns", "  ")
    with pytest.raises(ActionError, match='no jobs in namespace ns match selector "x=y"'):
        actions.plan_delete(FakeClient({("GET", JOBS_PATH): {"items": []}}), "ns", "x=y")
    bad = FakeClient({("GET", JOBS_PATH): ApiError(400, "BadRequest", "unable to parse")})
    with pytest.raises(ActionError, match='invalid selector "a in \\(b": unable to parse'):
        actions.plan_delete(bad, "ns", "a in (b")
    denied = delete_client()
    denied.denied = {"delete"}
    with pytest.raises(ActionError, match="forbidden: cannot delete jobs in namespace ns"):
        actions.plan_delete(denied, "ns", "sel=go")
    assert denied.sent("DELETE") == []


def test_execute_delete_reports_each_object_and_never_raises():
    plan = actions.DeletePlan(
        "sel=go",
        "ns",
        ("Job",),
        tuple(
            actions.DeleteTarget("Job", "ns", n, f"uid-{n}", 1)
            for n in ("ok", "gone", "replaced", "broken")
        ),
    )
    client = FakeClient(
        {
            ("DELETE", f"{JOBS_PATH}/ok"): {},
            ("DELETE", f"{JOBS_PATH}/replaced"): ApiError(409, "Conflict", "uid mismatch"),
            ("DELETE", f"{JOBS_PATH}/broken"): ApiError(500, "InternalError", "etcd is down"),
        }
    )
    results = actions.execute_delete(client, plan)
    assert [(r.target, r.ok, r.changed) for r in results] == [
        ("job/ok", True, True),
        ("job/gone", True, False),
        ("job/replaced", True, False),
        ("job/broken", False, False),
    ]
    assert results[3].message == "job/broken not deleted: etcd is down"
    body = client.sent("DELETE")[0][3]
    assert body == {
        "apiVersion": "v1",
        "kind": "DeleteOptions",
        "propagationPolicy": "Background",
        "preconditions": {"uid": "uid-ok"},
    }


def delete_args(**kw):
    defaults = dict(
        action="delete",
        objects=[],
        kind="jobs",
        selector="sel=go",
        all=False,
        yes=False,
        dry_run=False,
        all_namespaces=False,
    )
    return argparse.Namespace(**{**defaults, **kw})


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_cli_delete_needs_a_terminal_or_yes():
    client = delete_client()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(ActionError, match="stdin is not a terminal; pass --yes"):
        cmd.run_delete(delete_args(), client, out, err, stdin=io.StringIO())
    assert out.getvalue().splitlines()[0] == (
        "2 objects in namespace ns will be deleted, with 2 pods:"
    )
    assert [c for c in client.sent("DELETE") if not c[3].get("dryRun")] == []


def test_cli_delete_asks_and_a_no_deletes_nothing():
    client = delete_client()
    asked = []

    def no(text):
        asked.append(text)
        return "n"

    with pytest.raises(ActionError, match="cancelled: nothing was deleted"):
        cmd.run_delete(delete_args(), client, io.StringIO(), io.StringIO(), Tty(), prompt=no)
    assert asked == ["Delete 2 objects? [y/N] "]
    assert [c for c in client.sent("DELETE") if not c[3].get("dryRun")] == []


def test_cli_delete_yes_prints_each_outcome_and_fails_on_a_partial_failure():
    client = delete_client({("DELETE", f"{JOBS_PATH}/b"): lambda p, b: _fail_unless_dry_run(b)})
    out, err = io.StringIO(), io.StringIO()
    rc = cmd.run_delete(delete_args(), client, out, err, Tty(), prompt=lambda text: "y")
    assert rc == 1
    assert out.getvalue().splitlines()[-1] == 'job.batch "a" deleted'
    assert err.getvalue() == "error: job.batch/b not deleted: quota says no\n"


def _fail_unless_dry_run(body):
    if body.get("dryRun"):
        return {}
    raise ApiError(422, "Invalid", "quota says no")


def test_cli_delete_dry_run_lists_and_stops():
    client = delete_client()
    out = io.StringIO()
    assert cmd.run_delete(delete_args(dry_run=True), client, out, io.StringIO()) == 0
    assert out.getvalue().splitlines() == [
        "2 objects in namespace ns would be deleted, with 2 pods:",
        "  job.batch/a  2 pods",
        "  job.batch/b  0 pods",
        "nothing deleted (server dry run)",
    ]


def test_cli_suspend_bulk_prints_each_outcome_and_warns_for_jobs():
    job_path = "/apis/batch/v1/namespaces/ns/jobs/work"
    client = FakeClient(
        {
            ("GET", job_path): job("work", status={"active": 2}),
            ("PATCH", job_path): {},
        }
    )
    args = argparse.Namespace(
        action="suspend", objects=["job/work", "cronjob/nope"], selector=None, dry_run=False
    )
    out, err = io.StringIO(), io.StringIO()
    assert cmd.run_suspend(args, client, out, err) == 1
    assert out.getvalue() == "job.batch/work suspended\n"
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("Warning: Suspending job ns/work deletes its 2 active pod(s);")
    assert lines[1] == "error: /apis/batch/v1/namespaces/ns/cronjobs/nope not found"


def test_requests_are_json_serialisable():
    body = actions.retry_job_for_index(indexed({}), 0, "x")
    json.dumps(body)


def test_retrying_a_retry_points_to_the_original():
    original = indexed({"failedIndexes": "1", "conditions": failed_condition()})
    body = actions.retry_job_for_index(original, 1, "render-retry-1-abcde")
    body["metadata"]["name"] = "render"  # served under the path retry_client answers
    body["status"] = {"conditions": failed_condition("BackoffLimitExceeded")}
    with pytest.raises(ActionError, match="is a retry of job/render: retry the original"):
        actions.retry_failed_indexes(retry_client(body)[1], "ns", "render")


def test_cli_suspend_by_selector_skips_finished_jobs():
    done = job("done", status={"conditions": [{"type": "Complete", "status": "True"}]})
    done["metadata"]["labels"] = {"sel": "go"}
    busy = job("busy", status={"active": 1})
    client = FakeClient(
        {
            ("GET", JOBS_PATH): {"items": [done, busy]},
            ("GET", f"{JOBS_PATH}/busy"): busy,
            ("PATCH", f"{JOBS_PATH}/busy"): {},
        }
    )
    args = argparse.Namespace(
        action="suspend",
        objects=["jobs"],
        selector="sel=go",
        dry_run=False,
        all_namespaces=False,
    )
    out, err = io.StringIO(), io.StringIO()
    assert cmd.run_suspend(args, client, out, err) == 0
    assert out.getvalue().splitlines() == [
        "job.batch/done skipped (finished)",
        "job.batch/busy suspended",
    ]
    assert client.sent("GET")[0][2] == {"labelSelector": "sel=go"}
    assert "its 1 active pod(s)" in err.getvalue()


def test_dry_run_takes_kubectls_spellings():
    p = build_parser()
    assert p.parse_args(["rerun", "job/x", "--dry-run=server"]).dry_run is True
    assert p.parse_args(["rerun", "job/x", "--dry-run=none"]).dry_run is False
    # As in kubectl, the bare flag never takes the next word as its value.
    a = p.parse_args(["suspend", "--dry-run", "cronjob/x"])
    assert (a.dry_run, a.objects) == (True, ["cronjob/x"])


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("client", "--dry-run=client is not supported"),
        ("all", 'invalid --dry-run value "all": use server or none'),
    ],
)
def test_other_dry_run_values_are_one_clear_error(capsys, value, said):
    assert main(["rerun", "job/x", f"--dry-run={value}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and said in err and "Traceback" not in err
