"""A recording made on the test cluster, replayed: the same rows at the same moments as the
live cache gave the screens (the models they build), and the pods' logs as recorded."""

from __future__ import annotations

import time

import pytest
from conftest import cronjob_manifest, job_manifest, served_logs

from kubectl_batch.domain.clock import frozen_clock, system_clock
from kubectl_batch.kube.client import ApiClient
from kubectl_batch.kube.config import load
from kubectl_batch.kube.recording import LogRecorder, RecordingCache, RecordingWriter, read
from kubectl_batch.kube.replay import Replay
from kubectl_batch.tui.screens.job_detail import build_job_model
from kubectl_batch.tui.screens.main import MainScreen, RowBuilder

pytestmark = pytest.mark.cluster
FATE = "test.kubectl-batch.io/"


def screen_models(cache, now):
    """What the main screen and each Job's detail screen would show at ``now``."""
    clock = frozen_clock(now)
    main = RowBuilder().build(cache, clock, "", MainScreen().sorts)
    details = {}
    for job in cache.jobs():
        model = build_job_model(cache, job["metadata"]["uid"], clock)
        details[job["metadata"]["name"]] = (model.summary, model.pods, model.events)
    jobs = sorted(main.jobs, key=lambda r: r.name)
    crons = sorted(main.cronjobs, key=lambda r: r.name)
    return jobs, crons, details


def test_a_replayed_recording_shows_what_the_live_cache_showed(
    cluster, namespace, kubectl, tmp_path
):
    client = ApiClient(load(kubeconfig=str(cluster), namespace=namespace))
    path = tmp_path / "recording.jsonl.gz"
    writer = RecordingWriter(
        path, context="test", namespace=namespace, selector=None, clock=system_clock
    )
    cache = RecordingCache(writer, client, namespace)
    logs = LogRecorder(writer, client, cache)
    snapshots = []
    with served_logs(kubectl, namespace, "2026-01-01T00:00:00.5Z stdout F hello from main"):
        logs.start()
        cache.start()
        assert cache.wait_synced(30)
        kubectl.apply(
            job_manifest(
                "steps", completions=3, parallelism=1, annotations={FATE + "duration": "2s"}
            ),
            job_manifest(
                "shards",
                completions=4,
                parallelism=2,
                indexed=True,
                backoffLimitPerIndex=0,
                annotations={FATE + "fail-indexes": "2", FATE + "duration": "1s"},
            ),
            job_manifest("flaky", annotations={FATE + "outcome": "fail"}, backoffLimit=1),
            cronjob_manifest("nightly", suspend=True),
        )  # fmt: skip
        # Moments of the recording, each after a change: the replay must show these.
        deadline = time.monotonic() + 60
        last = -1
        while time.monotonic() < deadline:
            with cache.lock:  # nothing arrives meanwhile
                time.sleep(0.003)  # (arrival times are written to the millisecond)
                now = system_clock()
                time.sleep(0.003)
                if cache.version != last:
                    last = cache.version
                    snapshots.append((now, screen_models(cache, now)))
            if len(snapshots) >= 4 and all(
                kubectl.job_condition(name, condition)
                for name, condition in (("steps", "Complete"), ("flaky", "Failed"))
            ):
                break
            time.sleep(0.5)
        cache.stop()
        logs.finish()
        writer.close()

    recording = read(path)
    assert len(snapshots) >= 4
    for now, live in snapshots:
        replay = Replay(recording, speed=1e-9, start=now)  # the clock stays at `now`
        replayed = replay.open_cache(namespace, None)
        try:
            assert replayed.wait_synced(5)
            jobs, crons, details = screen_models(replayed, now)
            assert (jobs, crons) == live[:2], f"the main screen at {now}"
            assert details.keys() == live[2].keys()
            for name, parts in live[2].items():
                parts_of = zip(("summary", "pods", "events"), details[name], parts, strict=True)
                for what, got, want in parts_of:
                    assert got == want, f"the {what} of job {name} at {now}"
        finally:
            replayed.stop()
    names = {row.name for row in snapshots[-1][1][0]}
    assert {"steps", "shards", "flaky"} <= names

    # The logs of a pod, as the log stream returned them.
    replay = Replay(recording, start=recording.ended)
    capture = recording.log_captures()[0]
    lines = list(replay.kube.logs.stream(None, namespace, capture.pod, container="main"))
    assert [line.text for line in lines] == ["hello from main"]


def test_the_record_command_writes_a_recording_the_replay_reads(
    cluster, namespace, kubectl, tmp_path, capsys
):
    from kubectl_batch.cli import main

    kubectl.apply(job_manifest("one", annotations={FATE + "outcome": "run"}))
    kubectl.wait_for(lambda: kubectl.items("pods"), what="its pod")
    path = tmp_path / "r.jsonl.gz"
    argv = ["--kubeconfig", str(cluster), "-n", namespace, "record", "--duration", "3s"]
    argv += ["--no-logs"]
    with served_logs(kubectl, namespace, "2026-01-01T00:00:00Z stdout F a line"):
        assert main([*argv, "-o", str(path)]) == 0
    assert "recorded " in capsys.readouterr().err
    recording = read(path)
    assert recording.namespace == namespace
    assert recording.log_captures() == []  # --no-logs (its pod runs: it would have one)
    assert 2.5 < (recording.ended - recording.started).total_seconds() < 10
    replay = Replay(recording, speed=1e-9, start=recording.ended)
    cache = replay.open_cache(namespace, None)
    try:
        assert cache.wait_synced(5)
        assert [j["metadata"]["name"] for j in cache.jobs()] == ["one"]
        assert len(cache.pods_of(cache.jobs()[0]["metadata"]["uid"])) == 1
    finally:
        cache.stop()
