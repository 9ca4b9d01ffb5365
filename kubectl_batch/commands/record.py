"""`kubectl batch record`: write down what the UI's cache sees, to replay it anywhere
(`kubectl batch --replay FILE`, commands/replay.py)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from kubectl_batch.commands.command import FILES, NOTHING, Command, completes

DEFAULT_DURATION = "10m"


class Record(Command):
    name = "record"
    summary = "record the Jobs, CronJobs, pods, Events and logs the UI sees, to replay them later"
    usage = "-o FILE [--duration DURATION] [--no-logs] [flags]"
    description = (
        "Lists and watches what the UI does (-n NS, -A, -l SELECTOR) for --duration or until\n"
        "Ctrl-C, and writes each list, watch event and pod log, with the time it arrived,\n"
        "to FILE (JSON lines, gzip). Replay it anywhere with `kubectl batch --replay FILE`.\n"
        "Objects are recorded as the UI keeps them: pods without their spec (no environment\n"
        "values, commands or mounts), Jobs without their pod template's spec."
    )
    examples = (
        (
            "Record namespace etl for 30 minutes",
            "kubectl batch record -n etl --duration 30m -o etl.jsonl.gz",
        ),
        ("Replay it ten times as fast", "kubectl batch --replay etl.jsonl.gz --speed 10"),
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        completes(
            parser.add_argument(
                "-o", "--output", dest="output", required=True, metavar="FILE",
                help="the recording to write (gzip)",
            ),
            FILES,
        )  # fmt: skip
        completes(
            parser.add_argument(
                "--duration",
                default=DEFAULT_DURATION,
                metavar="DURATION",
                help=f"how long to record, e.g. 90s, 10m, 1h (default {DEFAULT_DURATION})",
            ),
            NOTHING,
        )
        parser.add_argument(
            "--no-logs",
            dest="logs",
            action="store_false",
            help="do not record pods' logs (one GET per container when a pod runs and ends)",
        )

    def validate(self, args: argparse.Namespace) -> None:
        from kubectl_batch.kube.config import parse_duration

        args.duration_seconds = parse_duration(args.duration, "--duration")

    def run(self, args: argparse.Namespace) -> int:
        return run(args)


COMMAND = Record()


def run(args: argparse.Namespace) -> int:
    from kubectl_batch.commands.connect import connect, scope_namespace
    from kubectl_batch.domain.clock import system_clock
    from kubectl_batch.kube.config import parse_duration
    from kubectl_batch.kube.recording import LogRecorder, RecordingCache, RecordingWriter

    duration = parse_duration(args.duration, "--duration")  # validated already
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
