"""Recordings and their replay, on the shipped demo recording (made on the test cluster by
scripts/record_demo.py): broken files are one error line, and the UI replays it with its
actions disabled, its logs and its YAML."""

from __future__ import annotations

import gzip
from datetime import timedelta
from pathlib import Path

import pytest
from fixtures.tui_fakes import settle
from test_tui_main import SIZE, select

from kubectl_batch.cli import main
from kubectl_batch.commands.replay import demo_path
from kubectl_batch.domain.labels import label_matcher
from kubectl_batch.kube.recording import read
from kubectl_batch.kube.replay import REASON, Replay
from kubectl_batch.tui.app import replay_app
from kubectl_batch.tui.screens.logs import LogsScreen
from kubectl_batch.tui.screens.yaml_view import YamlScreen

DEMO = demo_path()


def demo_lines() -> list[bytes]:
    return gzip.decompress(DEMO.read_bytes()).splitlines(keepends=True)


def _cut(tmp: Path) -> Path:
    data = DEMO.read_bytes()
    (tmp / "f").write_bytes(data[: len(data) // 2])
    return tmp / "f"


def _damaged(tmp: Path) -> Path:
    data = bytearray(DEMO.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 64):
        data[i] ^= 0x5A
    (tmp / "f").write_bytes(bytes(data))
    return tmp / "f"


def _no_end(tmp: Path) -> Path:
    (tmp / "f").write_bytes(gzip.compress(b"".join(demo_lines()[:-1])))
    return tmp / "f"


def _line_cut(tmp: Path) -> Path:
    lines = demo_lines()
    (tmp / "f").write_bytes(gzip.compress(b"".join(lines[:-2]) + lines[-2][:40]))
    return tmp / "f"


def _plain(tmp: Path) -> Path:
    (tmp / "f").write_text('{"hello": "world"}\n')
    return tmp / "f"


def _other_json(tmp: Path) -> Path:
    (tmp / "f").write_bytes(gzip.compress(b'{"kind": "List", "items": []}\n'))
    return tmp / "f"


def _empty(tmp: Path) -> Path:
    (tmp / "f").write_bytes(b"")
    return tmp / "f"


def _missing(tmp: Path) -> Path:
    return tmp / "nothing-here.jsonl.gz"


@pytest.mark.parametrize(
    "make, says",
    [
        (_cut, "cut short"),
        (_damaged, "recording"),
        (_no_end, "cut short (no END line"),
        (_line_cut, "not JSON"),
        (_plain, "not a gzip file"),
        (_other_json, "not a kubectl-batch recording"),
        (_empty, "empty"),
        (_missing, "no such recording"),
    ],
)
def test_a_broken_recording_is_one_error_line(tmp_path, capsys, make, says):
    path = make(tmp_path)
    assert main(["--replay", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"error: {path}: "), err
    assert says in err and "Traceback" not in err


def test_bad_replay_flags_are_one_error_line(capsys):
    assert main(["--demo", "--speed", "0"]) == 1
    assert capsys.readouterr().err == "error: invalid --speed 0.0: it must be more than 0\n"
    assert main(["--demo", "--start", "2000-01-01T00:00:00Z"]) == 1
    assert "is outside the recording" in capsys.readouterr().err
    assert main(["--demo", "--start", "soon"]) == 1
    assert capsys.readouterr().err.startswith('error: invalid --start "soon"')
    assert main(["--speed", "10"]) == 1
    assert capsys.readouterr().err == "error: --speed and --start go with --replay FILE or --demo\n"
    assert main(["--demo", "--replay", str(DEMO)]) == 1
    assert capsys.readouterr().err.startswith("error: --demo and --replay FILE are two")


def test_the_demo_is_small_and_has_what_the_readme_promises():
    assert DEMO.stat().st_size < 1_000_000
    recording = read(DEMO)
    names = {
        (e.kind, (o.get("metadata") or {}).get("name"))
        for e in recording.entries
        for o in (e.data.get("items") or [e.data.get("object") or {}])
    }
    for kind, name in [
        ("Job", "render-frames"),
        ("Job", "score-partitions"),
        ("Job", "process-item-apple"),
        ("Job", "gpu-train"),
        ("CronJob", "sync-forbid"),
        ("CronJob", "weekly-cleanup"),
    ]:
        assert (kind, name) in names
    # Projections only: no pod spec beyond container names, so no env, command or mounts;
    # not even the image the demo's pods were given (scripts/record_demo.py).
    pods = [
        o
        for e in recording.entries
        if e.kind == "Pod" and e.op != "STATE"
        for o in e.data.get("items") or [e.data["object"]]
    ]
    assert pods and all(set(p["spec"]["containers"][0]) == {"name"} for p in pods)
    assert b"registry.example/batch/worker" not in b"".join(demo_lines())
    assert recording.log_captures()


@pytest.mark.asyncio
async def test_the_demo_replays_with_actions_disabled_logs_and_yaml():
    recording = read(DEMO)
    replay = Replay(recording, start=recording.started + timedelta(seconds=20))
    app = replay_app(replay, DEMO.name, recording.namespace, None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert app.clock() >= recording.started + timedelta(seconds=20)
        select(app, "gpu-train")  # pending all along: no node has its nodeSelector
        for _ in range(50):
            await pilot.pause(0.05)
            if REASON in str(app.screen.query_one("#hint").render()):
                break
        hint = str(app.screen.query_one("#hint").render())
        assert f"s: cannot suspend: {REASON}" in hint and f"D: cannot delete: {REASON}" in hint
        await pilot.press("s")  # disabled: no confirmation comes up
        await pilot.pause(0.2)
        assert app.screen.query_one("#jobs") is not None and not app.failures

        await pilot.press("y")
        for _ in range(50):
            await pilot.pause(0.05)
            if isinstance(app.screen, YamlScreen) and "gpu-train" in _text(app):
                break
        assert "name: gpu-train" in _text(app)
        await pilot.press("escape")

        select(app, "render-frames")
        await pilot.press("l")
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, LogsScreen) and app.screen.buffer:
                break
        assert isinstance(app.screen, LogsScreen)
        texts = [line.text for line in app.screen.buffer]
        assert "processing batch 1/3: 512 items" in texts
        assert not app.failures


def _text(app) -> str:
    from textual.widgets import TextArea

    return " ".join(area.text for area in app.screen.query(TextArea))


def test_label_selectors_match_as_the_api_server_does():
    labels = {"team": "ml", "tier": "prod", "jobgroup": "process-items"}
    assert label_matcher("team=ml,tier!=dev")(labels)
    assert label_matcher("jobgroup in (process-items, other)")(labels)
    assert not label_matcher("tier notin (prod)")(labels)
    assert label_matcher("team,!legacy")(labels)
    assert not label_matcher("legacy")(labels)
    assert label_matcher("")(labels)
    with pytest.raises(ValueError, match="unable to parse"):
        label_matcher("team=ml=x")


def test_the_demo_recording_is_in_the_krew_archive_and_the_wheel(tmp_path):
    import importlib.util

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("krew_build", root / "krew" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    build.copy_package(tmp_path)
    copied = tmp_path / "kubectl_batch" / DEMO.relative_to(root / "kubectl_batch")
    assert copied.read_bytes() == DEMO.read_bytes()
    # The wheel takes the package directory whole (data files too, as app.tcss).
    assert 'packages = ["kubectl_batch"]' in (root / "pyproject.toml").read_text()


def test_a_replay_narrows_to_a_selector_and_starts_where_asked():
    recording = read(DEMO)
    end = Replay(recording, speed=1e-9, start=recording.ended)
    cache = end.open_cache(recording.namespace, "jobgroup=process-items")
    try:
        assert cache.wait_synced(5)
        assert sorted(j["metadata"]["name"] for j in cache.jobs()) == [
            "process-item-apple",
            "process-item-banana",
            "process-item-cherry",
        ]
        assert all(j["status"].get("succeeded") == 1 for j in cache.jobs())
    finally:
        cache.stop()
    # One second in: listed (the first LISTs came 0.1 s in), nothing finished yet.
    start = Replay(recording, speed=1e-9, start=recording.started + timedelta(seconds=1))
    cache = start.open_cache(recording.namespace, None)
    try:
        assert cache.wait_synced(5)
        assert not any(
            j["status"].get("succeeded") for j in cache.jobs() if "item" in j["metadata"]["name"]
        )
    finally:
        cache.stop()
