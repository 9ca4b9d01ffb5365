"""`kubectl batch --replay FILE` / `--demo`: the UI on a recording, without a cluster."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

#: The demo recording, package data (made by scripts/record_demo.py).
DEMO = "demo.jsonl.gz"


def add_replay_flags(parser: argparse.ArgumentParser) -> None:
    """The UI's flags for replaying a recording instead of watching a cluster."""
    g = parser.add_argument_group("replaying a recording (no cluster needed)")
    g.add_argument("--replay", metavar="FILE", help="open the UI on a recording (see `record`)")
    g.add_argument(
        "--demo", action="store_true", help="open the UI on the demo recording shipped with it"
    )
    g.add_argument(
        "--speed", type=float, default=1.0, metavar="N", help="replay N times as fast (default 1)"
    )
    g.add_argument(
        "--start",
        metavar="TIME",
        help="begin at this RFC 3339 time of the recording, or this long after its start (5m)",
    )


def wanted(args: argparse.Namespace) -> bool:
    """Does the UI replay a recording? (--speed and --start mean nothing without one.)"""
    if getattr(args, "replay", None) or getattr(args, "demo", False):
        return True
    if getattr(args, "start", None) is not None or getattr(args, "speed", 1.0) != 1.0:
        raise ValueError("--speed and --start go with --replay FILE or --demo")
    return False


def demo_path() -> Path:
    return Path(str(resources.files("kubectl_batch") / "data" / DEMO))


def start_time(value: str | None, started: datetime) -> datetime | None:
    """--start: an RFC 3339 time, or a duration after the recording's start."""
    if value is None:
        return None
    from kubectl_batch.domain.timeutil import parse_time
    from kubectl_batch.kube.config import parse_duration

    if value[:1].isdigit() and "T" in value:
        try:
            return parse_time(value)
        except ValueError:
            raise ValueError(
                f'invalid --start "{value}": use an RFC 3339 time or a duration such as 5m'
            ) from None
    return started + timedelta(seconds=parse_duration(value, "--start"))


def run(args: argparse.Namespace) -> int:
    from kubectl_batch.kube.recording import read
    from kubectl_batch.kube.replay import Replay
    from kubectl_batch.tui.app import run_replay

    if args.demo and args.replay:
        raise ValueError("--demo and --replay FILE are two recordings: give one")
    path = demo_path() if args.demo else Path(args.replay)
    recording = read(path)
    replay = Replay(recording, args.speed, start_time(args.start, recording.started))
    if getattr(args, "all_namespaces", False):
        namespace = None
    else:
        namespace = getattr(args, "namespace", None) or recording.namespace
    selector = getattr(args, "selector", None) or recording.selector
    return run_replay(replay, path.name, namespace, selector)
