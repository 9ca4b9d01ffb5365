"""The live cache against the real API server: churn, outages, restarts, permissions."""

from __future__ import annotations

import threading
import time

import cluster as test_cluster
from conftest import job_manifest
from support import kubeconfigs
from support.netcut import CuttableRelay

from kubectl_batch.kube.cache import LATER_AT_THE_LATEST, ClusterCache, Phase
from kubectl_batch.kube.client import ApiClient
from kubectl_batch.kube.config import load


def names(objects) -> set[str]:
    return {o["metadata"]["name"] for o in objects}


def server_job_names(kubectl) -> set[str]:
    return names(kubectl.items("jobs"))


def parked_job(name: str, **labels) -> dict:
    """A suspended Job: no pods, so hundreds of them stay cheap."""
    return job_manifest(name, labels=labels or None, suspend=True)


def open_cache(kubeconfig, namespace, **kwargs) -> ClusterCache:
    cache = ClusterCache(ApiClient(load(kubeconfig=str(kubeconfig))), namespace, **kwargs)
    cache.start()
    assert cache.wait_synced(30)
    return cache


def test_cache_converges_with_the_server_under_churn(kubectl, cluster, namespace):
    kubectl.create(*(parked_job(f"early-{i}") for i in range(120)))
    cache = open_cache(cluster, namespace)
    try:
        assert names(cache.jobs()) == server_job_names(kubectl)

        def create_more():
            kubectl.create(*(parked_job(f"late-{i}") for i in range(100)))

        creator = threading.Thread(target=create_more)
        creator.start()
        kubectl.run("delete", "jobs", *(f"early-{i}" for i in range(0, 120, 2)), "--wait=false")
        creator.join()
        kubectl.wait_for(
            lambda: names(cache.jobs()) == server_job_names(kubectl),
            timeout=30,
            what="cache to equal the server",
        )
        assert len(cache.jobs()) == 160
    finally:
        cache.stop()


def test_cache_catches_up_after_a_network_outage(kubectl, cluster, namespace):
    host, port = kubeconfigs.server_of(cluster)
    relay = CuttableRelay(host, port)
    kubectl.create(*(parked_job(f"job-{i}") for i in range(10)))
    cache = open_cache(kubeconfigs.via_port(cluster, relay.port), namespace)
    try:
        relay.cut()
        kubectl.wait_for(
            lambda: cache.states()["Job"].phase is Phase.RECONNECTING, what="reconnecting state"
        )
        # The world moves on while we cannot see it.
        kubectl.run("delete", "jobs", "job-0", "job-1", "job-2", "--wait=false")
        kubectl.create(parked_job("born-during-outage"))
        relay.restore()
        kubectl.wait_for(
            lambda: names(cache.jobs()) == server_job_names(kubectl), what="cache == server"
        )
        assert "job-0" not in names(cache.jobs())
        assert "born-during-outage" in names(cache.jobs())
        kubectl.wait_for(lambda: cache.states()["Job"].phase is Phase.CONNECTED, what="connected")
    finally:
        cache.stop()
        relay.close()


def test_cache_survives_an_api_server_restart(kubectl, cluster, namespace):
    kubectl.create(parked_job("before"))
    cache = open_cache(cluster, namespace)
    try:
        seen = []
        cache.on_change = lambda kind, event, obj: seen.append(cache.states()["Job"].phase)
        test_cluster.restart_component("kube-apiserver", down_for=2)
        assert Phase.RECONNECTING in seen
        kubectl.create(parked_job("after"))
        kubectl.wait_for(lambda: "after" in names(cache.jobs()), what="job made after restart")
        assert names(cache.jobs()) == {"before", "after"}
        assert cache.states()["Job"].phase is Phase.CONNECTED
    finally:
        cache.stop()


def test_forbidden_resource_degrades_alone(kubectl, namespace):
    kubeconfig = kubeconfigs.restricted(
        kubectl,
        namespace,
        [{"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": ["list", "watch"]}],
    )
    kubectl.create(parked_job("visible"))
    cache = open_cache(kubeconfig, namespace)
    try:
        states = cache.states()
        assert states["Pod"].phase is Phase.FORBIDDEN
        assert 'cannot list resource "pods"' in states["Pod"].message
        assert states["Event"].phase is Phase.FORBIDDEN
        assert states["Job"].phase is Phase.CONNECTED
        assert names(cache.jobs()) == {"visible"}
    finally:
        cache.stop()


def completed_job(kubectl) -> None:
    kubectl.create(job_manifest("done", annotations={"test.kubectl-batch.io/outcome": "succeed"}))
    kubectl.run("wait", "--for=condition=Complete", "job/done", "--timeout=60s")


def wait_for_its_completed_event(kubectl, cache: ClusterCache) -> None:
    (job,) = cache.jobs()
    uid = job["metadata"]["uid"]
    kubectl.wait_for(
        lambda: "Completed" in {e.get("reason") for e in cache.events_for(uid)},
        timeout=30,
        what="the Job's Completed event in the cache",
    )


def test_with_a_screen_events_wait_until_the_tables_are_on_it(kubectl, cluster, namespace):
    completed_job(kubectl)
    client = ApiClient(load(kubeconfig=str(cluster)))
    cache = ClusterCache(client, namespace, later_waits_for_screen=True).start()
    tables = [r.kind for r in cache.resources if not r.after_the_tables]
    try:
        kubectl.wait_for(
            lambda: all(cache.states()[k].phase is Phase.CONNECTED for k in tables),
            what="the tables' kinds listed",
        )
        cache.tables_shown(0)  # tables shown before those LISTs came: not these
        time.sleep(1.5)
        assert cache.states()["Event"].phase is Phase.CONNECTING
        assert not cache.synced
        cache.tables_shown(cache.version)
        # Well before the fallback (LATER_AT_THE_LATEST after start):
        assert cache.wait_synced(LATER_AT_THE_LATEST / 3)
        wait_for_its_completed_event(kubectl, cache)
    finally:
        cache.stop()


def test_events_are_listed_after_the_tables(kubectl, cluster, namespace):
    completed_job(kubectl)
    cache = open_cache(cluster, namespace)
    try:
        assert cache.synced
        states = cache.states()
        tables = max(states[k].since for k in ("Job", "CronJob", "Pod"))
        assert states["Event"].phase is Phase.CONNECTED
        assert states["Event"].since >= tables
        wait_for_its_completed_event(kubectl, cache)
    finally:
        cache.stop()


def by_uid(objects) -> dict[str, dict]:
    return {o["metadata"]["uid"]: o for o in objects}


def test_cached_objects_are_the_projections_of_what_the_server_has(kubectl, cluster, namespace):
    from kubectl_batch.kube.resources import read_whole, slim_job, slim_pod

    kubectl.create(job_manifest("proj", annotations={"test.kubectl-batch.io/outcome": "succeed"}))
    kubectl.run("wait", "--for=condition=Complete", "job/proj", "--timeout=60s")
    assert kubectl.items("jobs", "--show-managed-fields")[0]["metadata"]["managedFields"]
    cache = open_cache(cluster, namespace)
    try:
        # LIST pages have their managedFields cut before decoding: what is left must be
        # exactly the projection of the object the server has (once the watch has brought
        # any last update).
        def same() -> bool:
            (job,) = cache.jobs()
            server_job = slim_job(kubectl.items("jobs")[0])
            for key in ("apiVersion", "kind"):  # kubectl fills them in; LIST items lack them
                server_job.pop(key)
            pods = by_uid(slim_pod(p) for p in kubectl.items("pods"))
            return job == server_job and pods == by_uid(cache.pods_of(job["metadata"]["uid"]))

        kubectl.wait_for(same, timeout=20, what="the cache to hold the server's projections")
        # The YAML view reads the whole object, less managed fields.
        client = ApiClient(load(kubeconfig=str(cluster)))
        whole = read_whole(client, "Job", namespace, "proj")
        assert "managedFields" not in whole["metadata"]
        assert whole["spec"]["template"]["spec"]["containers"][0]["image"]
    finally:
        cache.stop()


def test_a_jobs_pods_revision_moves_with_its_pods(kubectl, cluster, namespace):
    kubectl.create(job_manifest("rev", annotations={"test.kubectl-batch.io/outcome": "succeed"}))
    kubectl.run("wait", "--for=condition=Complete", "job/rev", "--timeout=60s")
    cache = open_cache(cluster, namespace)
    try:
        (job,) = cache.jobs()
        uid = job["metadata"]["uid"]
        kubectl.wait_for(lambda: cache.pods_of(uid), timeout=20, what="the Job's pod")
        seen = cache.pods_revision(uid)
        assert seen > 0 and cache.pods_revision("no-such-job") == 0
        kubectl.run("delete", "pods", "-l", f"batch.kubernetes.io/controller-uid={uid}")
        kubectl.wait_for(lambda: not cache.pods_of(uid), timeout=30, what="the pod to go")
        # No pods: the revision moves back to 0 (no per-Job entry outlives its pods).
        assert cache.pods_revision(uid) != seen and cache.pods_revision(uid) == 0
    finally:
        cache.stop()


def test_a_list_in_many_pages_gets_every_object_once_gzipped_or_not(kubectl, cluster, namespace):
    # 3 KB of annotation a Job: a page of 50 is over the API server's gzip threshold
    # (chunked and gzipped, as a big LIST comes); pages of 7 come plain.
    padding = {"example.com/padding": "x" * 3000}
    kubectl.create(
        *(
            dict(parked_job(f"paged-{i}"), metadata={"name": f"paged-{i}", "annotations": padding})
            for i in range(150)
        )
    )
    client = ApiClient(load(kubeconfig=str(cluster)))
    path = f"/apis/batch/v1/namespaces/{namespace}/jobs"
    for limit in (50, 7):
        listed = [
            item["metadata"]["name"]
            for page in client.list_pages(path, limit=limit)
            for item in page["items"]
        ]
        assert sorted(listed) == sorted(server_job_names(kubectl))
        assert len(listed) == len(set(listed)) == 150
