"""The logs screen (fake log streams) and kube/logs.py's request and line parsing."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from fixtures.tui_fakes import FakeKube, make_app, settle
from test_tui_main import SIZE, select

from kubectl_batch.kube import logs as kube_logs
from kubectl_batch.tui.screens import logs as logs_screen
from kubectl_batch.tui.screens.logs import LogsScreen

UTC = timezone.utc


def shown(app) -> list[str]:
    log = app.screen.query_one("#log")
    return [strip.text.rstrip() for strip in log.lines]


def status(app) -> str:
    return str(app.screen.query_one("#log-status").render())


async def wait_for(pilot, predicate, timeout: float = 3.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition never met")


async def open_logs(pilot, app, job: str, kube: FakeKube) -> str:
    await settle(pilot, app)
    select(app, job)
    pod = app.cache.pods_of(app.screen.query_one("#jobs").selected_uid)[0]["metadata"]["name"]
    return pod


@pytest.mark.asyncio
async def test_follows_a_running_pod_and_shows_lines_literally():
    kube = FakeKube()
    app = make_app(kube=kube)
    async with app.run_test(size=SIZE) as pilot:
        pod = await open_logs(pilot, app, "train-model", kube)
        kube.logs.append(pod, "epoch 1 loss=0.93", "\x1b[31m[bold]red[/bold]\x1b[0m\x07 done")
        await pilot.press("l")
        await wait_for(pilot, lambda: len(shown(app)) == 2)
        assert isinstance(app.screen, LogsScreen)
        assert shown(app) == ["epoch 1 loss=0.93", "[bold]red[/bold] done"]
        kube.logs.append(pod, "epoch 2 loss=0.71")
        await wait_for(pilot, lambda: len(shown(app)) == 3)
        assert shown(app)[-1] == "epoch 2 loss=0.71"
        assert "● following" in status(app) and "3 lines" in status(app)
        assert kube.logs.requests[0] == dict(pod=pod, container=None, follow=True, previous=False)
        await pilot.press("f")  # pause: the stream is closed
        await pilot.pause(0.2)
        assert "‖ paused" in status(app)
        kube.logs.append(pod, "epoch 3 loss=0.55")
        await pilot.pause(0.3)
        assert len(shown(app)) == 3


@pytest.mark.asyncio
async def test_search_wrap_timestamps_and_previous():
    kube = FakeKube()
    app = make_app(kube=kube)
    async with app.run_test(size=SIZE) as pilot:
        pod = await open_logs(pilot, app, "train-model", kube)
        kube.logs.append(pod, "alpha", "beta loss", "gamma loss")
        await pilot.press("l")
        await wait_for(pilot, lambda: len(shown(app)) == 3)
        await pilot.press("slash", *"loss", "enter")
        await pilot.pause(0.2)
        assert "search 'loss': 2 match(es)" in status(app)
        await pilot.press("w")
        await pilot.pause()
        assert "wrap on" in status(app)
        await pilot.press("T")
        await pilot.pause()
        assert shown(app)[0] == "2026-03-09T12:00:00.000000Z alpha"
        await pilot.press("p")
        await wait_for(pilot, lambda: len(kube.logs.requests) == 2)
        assert kube.logs.requests[-1]["previous"] is True
        assert kube.logs.requests[-1]["follow"] is False


@pytest.mark.asyncio
async def test_all_pods_of_a_job_interleaved_with_a_prefix():
    kube = FakeKube()
    app = make_app(kube=kube)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        select(app, "render-frames-retry")
        pods = app.cache.pods_of(app.screen.query_one("#jobs").selected_uid)
        for p in pods:
            ix = p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
            kube.logs.append(p["metadata"]["name"], f"hello from {ix}")
        await pilot.press("l")
        await wait_for(pilot, lambda: len(shown(app)) == 2)
        assert sorted(shown(app)) == ["[0] hello from 0", "[1] hello from 1"]


@pytest.mark.asyncio
async def test_memory_is_bounded_by_a_ring_buffer(monkeypatch):
    monkeypatch.setattr(logs_screen, "RING", 50)
    kube = FakeKube()
    app = make_app(kube=kube)
    async with app.run_test(size=SIZE) as pilot:
        pod = await open_logs(pilot, app, "train-model", kube)
        kube.logs.append(pod, *[f"line {i}" for i in range(500)])
        await pilot.press("l")
        await wait_for(pilot, lambda: "line 499" in "".join(shown(app)[-1:]))
        assert len(app.screen.buffer) == 50
        assert app.screen.buffer[0].text == "line 450"


def test_log_lines_are_split_from_their_timestamps():
    line = kube_logs.parse_line(b"2026-01-01T00:00:01.123456789Z epoch 2 loss=0.71\r")
    assert line == kube_logs.LogLine(
        datetime(2026, 1, 1, 0, 0, 1, 123456, tzinfo=UTC), "epoch 2 loss=0.71"
    )
    assert kube_logs.parse_line(b"no stamp here").time is None
    assert kube_logs.parse_line(b"\xff\xfe bad utf8").text.endswith("bad utf8")


def test_stream_asks_for_what_the_screen_needs():
    class Client:
        class config:
            request_timeout = None

        def stream_lines(self, path, params, read_timeout, on_open=None):
            self.args = (path, params, read_timeout)
            on_open("handle")
            yield b"2026-01-01T00:00:00Z hello"

    client, opened = Client(), []
    since = datetime(2026, 1, 1, tzinfo=UTC)
    out = list(
        kube_logs.stream(
            client,
            "ns",
            "pod-1",
            container="main",
            follow=True,
            since_time=since,
            on_open=opened.append,
        )
    )
    path, params, timeout = client.args
    assert path == "/api/v1/namespaces/ns/pods/pod-1/log"
    assert {k: v for k, v in params.items() if v is not None} == {
        "container": "main",
        "follow": True,
        "sinceTime": "2026-01-01T00:00:00Z",
        "timestamps": True,
    }
    assert timeout == kube_logs.FOLLOW_READ_TIMEOUT
    assert opened == ["handle"] and out[0].text == "hello"
