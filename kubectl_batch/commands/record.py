"""`kubectl batch record`: write down what the UI's cache sees, to replay it anywhere
(`kubectl batch --replay FILE`); and the flags of replaying."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

DEFAULT_DURATION = "10m"


def add_command(command: Callable[..., Any]) -> None:
    """The `record` subcommand, made with cli.py's ``command`` helper."""
    rec = command(
        "record",
        "record the Jobs, CronJobs, pods, Events and logs the UI sees, to replay them later",
        "Lists and watches what the UI does (-n NS, -A, -l SELECTOR) for --duration or until\n"
        "Ctrl-C, and writes each list, watch event and pod log, with the time it arrived,\n"
        "to FILE (JSON lines, gzip). Replay it anywhere with `kubectl batch --replay FILE`.\n"
        "Objects are recorded as the UI keeps them: pods without their spec (no environment\n"
        "values, commands or mounts), Jobs without their pod template's spec.\n\n"
        "examples:\n"
        "  kubectl batch record -n etl --duration 30m -o etl.jsonl.gz\n"
        "  kubectl batch --replay etl.jsonl.gz --speed 10",
    )
    rec.add_argument("-o", "--output", dest="output", required=True, metavar="FILE",
                     help="the recording to write (gzip)")  # fmt: skip
    rec.add_argument(
        "--duration",
        default=DEFAULT_DURATION,
        metavar="DURATION",
        help=f"how long to record, e.g. 90s, 10m, 1h (default {DEFAULT_DURATION})",
    )
    rec.add_argument(
        "--no-logs",
        dest="logs",
        action="store_false",
        help="do not record pods' logs (one GET per container when a pod runs and ends)",
    )
    rec.set_defaults(handler="kubectl_batch.commands.record")


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


def run(args: argparse.Namespace) -> int:
    from kubectl_batch.commands.connect import connect, scope_namespace
    from kubectl_batch.domain.clock import system_clock
    from kubectl_batch.kube.config import parse_duration
    from kubectl_batch.kube.recording import LogRecorder, RecordingCache, RecordingWriter

    duration = parse_duration(args.duration, "--duration")
    client = connect(args)
    client.server_version()  # fail here, in one sentence, before the file is made
    namespace = scope_namespace(args, client)
    writer = RecordingWriter(
        args.output,
        context=client.config.context or client.config.server,
        namespace=namespace,
        selector=args.selector,
        clock=system_clock,
    )
    cache = RecordingCache(writer, client, namespace, args.selector)
    logs = LogRecorder(writer, client, cache) if args.logs else None
    where = f"namespace {namespace}" if namespace else "all namespaces"
    print(
        f"recording {where} to {args.output} for {args.duration} (Ctrl-C stops sooner)",
        file=sys.stderr,
    )
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if logs is not None:
            logs.start()
        cache.start()
        stop.wait(duration)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        cache.stop()
        if logs is not None:
            logs.finish()
        writer.close()
    print(f"recorded {writer.count} changes to {args.output}", file=sys.stderr)
    return 0
