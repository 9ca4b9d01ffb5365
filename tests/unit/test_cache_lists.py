"""A LIST fills the cache as the watch events of its objects would, one by one: the pods of
a LIST are filed by Job in one go (off the lock the UI thread reads under), and what the
views read of them is the same either way."""

from __future__ import annotations

import copy

from fixtures.tui_fakes import recorded

from kubectl_batch.kube.cache import ClusterCache
from kubectl_batch.kube.resources import ALL


def _empty() -> ClusterCache:
    return ClusterCache(client=None, namespace="batch-demo", resources=ALL)  # type: ignore[arg-type]


def _pods_by_job(cache: ClusterCache, jobs: list[dict]) -> dict[str, list[str]]:
    return {
        j["metadata"]["name"]: sorted(
            p["metadata"]["name"] for p in cache.pods_of(j["metadata"]["uid"])
        )
        for j in jobs
    }


def test_a_list_of_pods_files_them_by_job_as_their_watch_events_would():
    data = recorded()
    listed, watched = _empty(), _empty()
    for cache in (listed, watched):
        cache._replace("Job", copy.deepcopy(data["jobs"]))
    listed._replace("Pod", copy.deepcopy(data["pods"]))
    for pod in copy.deepcopy(data["pods"]):
        watched._apply("Pod", "ADDED", pod)
    by_job = _pods_by_job(listed, data["jobs"])
    assert by_job == _pods_by_job(watched, data["jobs"])
    assert sum(map(len, by_job.values())) == len(data["pods"]) > 0
    with_pods = [j["metadata"]["uid"] for j in data["jobs"] if by_job[j["metadata"]["name"]]]
    assert with_pods and all(listed.pods_revision(uid) > 0 for uid in with_pods)


def test_a_relist_drops_the_pods_gone_and_moves_only_their_jobs_revisions():
    data = recorded()
    cache = _empty()
    cache._replace("Job", copy.deepcopy(data["jobs"]))
    cache._replace("Pod", copy.deepcopy(data["pods"]))
    job = next(j for j in data["jobs"] if len(cache.pods_of(j["metadata"]["uid"])) > 1)
    uid = job["metadata"]["uid"]
    gone = cache.pods_of(uid)[0]["metadata"]["uid"]
    before = {j["metadata"]["uid"]: cache.pods_revision(j["metadata"]["uid"]) for j in data["jobs"]}
    cache._replace("Pod", [p for p in copy.deepcopy(data["pods"]) if p["metadata"]["uid"] != gone])
    assert gone not in {p["metadata"]["uid"] for p in cache.pods_of(uid)}
    after = {j["metadata"]["uid"]: cache.pods_revision(j["metadata"]["uid"]) for j in data["jobs"]}
    assert [u for u in before if before[u] != after[u]] == [uid]


def test_the_first_build_waits_for_the_rest_of_the_tables_lists_once_some_are_in():
    import threading
    import time

    from kubectl_batch.kube.cache import Phase

    cache = _empty()
    assert cache.wait_rest_of_tables(5) is False  # nothing listed yet: the screen says so now
    cache._set_state("Job", Phase.CONNECTED)
    cache._set_state("CronJob", Phase.CONNECTED)
    start = time.monotonic()
    assert cache.wait_rest_of_tables(0.05) is True  # the pods are late: waited, then gave up
    assert time.monotonic() - start >= 0.05
    threading.Timer(0.05, cache._set_state, ("Pod", Phase.CONNECTED)).start()
    start = time.monotonic()
    assert cache.wait_rest_of_tables(5) is True
    assert time.monotonic() - start < 2  # woken by the pods' list, not by the timeout
    # Every table's list is in (Events are listed after the tables and are not waited for):
    # nothing left to wait for, at once.
    assert cache.states()["Event"].phase is Phase.CONNECTING
    start = time.monotonic()
    assert cache.wait_rest_of_tables(5) is True
    assert time.monotonic() - start < 1
