"""kube/expand.py's creation loop against a scripted API: 429s waited out (Retry-After
honoured), a lost answer found again through 409 and the hash, the first refusal stops."""

from __future__ import annotations

import threading

from kubectl_batch.domain.expand import expand
from kubectl_batch.kube.client import ApiError
from kubectl_batch.kube.expand import CREATED, EXISTED, REFUSED, create_jobs
from tests.unit.test_expand import DOCS_TEMPLATE


class ScriptedApi:
    """Stores created Jobs; ``answers[name]`` lists what the next POSTs of a name get."""

    def __init__(self, answers: dict[str, list[str]]):
        self.answers = answers
        self.jobs: dict[str, dict] = {}
        self.posts = 0
        self.lock = threading.Lock()

    def request(self, method, path, params, body):
        name = body["metadata"]["name"]
        with self.lock:
            self.posts += 1
            script = self.answers.get(name) or []
            fate = script.pop(0) if script else "ok"
        if fate == "429":
            raise ApiError(429, "TooManyRequests", "slow down", retry_after=0.01)
        if fate == "quota":
            raise ApiError(403, "Forbidden", f'jobs.batch "{name}" is forbidden: exceeded quota')
        with self.lock:
            if name in self.jobs:
                raise ApiError(409, "AlreadyExists", f'jobs.batch "{name}" already exists')
            if params is None:
                self.jobs[name] = body
        if fate == "lost":  # created, the answer lost
            raise ApiError(503, "ServiceUnavailable", "try again", retry_after=0.01)
        return body

    def get(self, path):
        return self.jobs[path.rsplit("/", 1)[1]]


def jobs(items):
    return expand(DOCS_TEMPLATE, items, ("jobgroup", "g"))


def test_throttled_and_lost_creates_end_with_each_job_once():
    api = ScriptedApi({"process-item-1": ["429", "429"], "process-item-2": ["lost"]})
    report = create_jobs(api, "ns", jobs(["0", "1", "2", "3"]), rate=0, in_flight=2)
    assert report.stopped_by is None
    assert sorted(api.jobs) == [f"process-item-{i}" for i in range(4)]
    results = {o.job.item: o.result for o in report.outcomes}
    assert results == {"0": CREATED, "1": CREATED, "2": EXISTED, "3": CREATED}
    assert report.throttled == 3


def test_first_refusal_stops_and_names_what_is_missing():
    all_jobs = jobs([str(i) for i in range(20)])
    api = ScriptedApi({"process-item-3": ["quota"]})
    report = create_jobs(api, "ns", all_jobs, rate=0, in_flight=1)
    assert report.stopped_by is not None and report.stopped_by.job.item == "3"
    assert report.stopped_by.result == REFUSED and "exceeded quota" in report.stopped_by.message
    assert sorted(api.jobs) == [f"process-item-{i}" for i in range(3)]
    assert [j.item for j in report.missing(all_jobs)] == [str(i) for i in range(3, 20)]
