"""The seams between the screens and the app: the real cache and app, and the fakes the TUI
tests use, are what the screens expect. mypy checks this module ([tool.mypy] files), so a
fake that drifts from :class:`~kubectl_batch.tui.ports.CacheView` is a type error."""

from __future__ import annotations

import copy

from fixtures.tui_fakes import FakeCache, make_app, recorded

from kubectl_batch.kube.cache import ClusterCache
from kubectl_batch.tui.app import BatchApp
from kubectl_batch.tui.ports import CacheView, Host


def _real_cache(cache: ClusterCache) -> CacheView:
    return cache  # type-checked: ClusterCache has every member of CacheView


def _real_host(app: BatchApp) -> Host:
    return app  # type-checked: BatchApp has every member of Host


def _fake_cache(cache: FakeCache) -> CacheView:
    return cache  # type-checked: so has the tests' FakeCache


def test_the_fake_app_is_a_host() -> None:
    host: Host = make_app()
    assert host.scope.namespace == "batch-demo"


def test_a_jobs_pods_revision_moves_with_its_pods_and_is_0_without_any() -> None:
    data = recorded()
    job = data["jobs"][0]
    uid = job["metadata"]["uid"]
    cache: FakeCache = FakeCache({"jobs": [job]})
    assert cache.pods_revision(uid) == 0
    pod = copy.deepcopy(next(p for p in data["pods"] if p["metadata"].get("labels")))
    pod["metadata"]["uid"] = "pod-of-the-job"
    pod["metadata"]["labels"]["batch.kubernetes.io/controller-uid"] = uid
    cache.put("Pod", pod)
    first = cache.pods_revision(uid)
    assert isinstance(first, int) and first != 0
    cache.put("Pod", pod)
    assert cache.pods_revision(uid) not in (0, first)
    cache.delete("Pod", "pod-of-the-job")
    assert cache.pods_revision(uid) == 0
