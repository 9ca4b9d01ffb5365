"""`kubectl batch logs job/NAME | -l SELECTOR`: the logs screen on the command line, like
`kubectl logs -f -l`, but following pods that start after it began and with no cap on the
number of streams by default (kube/group_logs.py does the streaming).

Lines go to stdout as they arrive, each whole (one writer at a time); with -l, or
--prefix, each starts with ``job/NAME[INDEX] ``. A pod whose log cannot be read is told on
stderr (``error: pod/x: ...``) and the others go on; the exit code is then 1. Ctrl-C ends
it with exit code 130 and no traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TextIO

from kubectl_batch.commands.command import NOTHING, Command, UsageError, completes, objects

ActionError = UsageError  # an argument mistake: one line, exit code 1

if TYPE_CHECKING:
    from kubectl_batch.kube.client import ApiClient
    from kubectl_batch.kube.group_logs import LogOptions, PodRef
    from kubectl_batch.kube.logs import LogLine


def job_name(args: argparse.Namespace) -> str | None:
    """The Job of ``job/NAME`` (or ``job NAME``, or a bare NAME); None with -l."""
    from kubectl_batch.commands.actions import parse_one

    if args.selector:
        if args.objects:
            raise ActionError("give either job/NAME or -l SELECTOR, not both")
        return None
    if not args.objects:
        raise ActionError("name the Job (job/NAME) or select Jobs with -l SELECTOR")
    return parse_one(args.objects, "Job")


def since_time(text: str | None, now: datetime) -> datetime | None:
    """``--since 10m`` (Go duration, as kubectl) -> the instant lines must be newer than."""
    if text is None:
        return None
    from kubectl_batch.domain.cron import parse_duration

    try:
        nanos = parse_duration(text)
    except ValueError:
        raise ActionError(f'invalid --since "{text}": use a duration such as 10m or 1h') from None
    if nanos <= 0:
        raise ActionError(f'invalid --since "{text}": the duration must be positive')
    return now - timedelta(microseconds=nanos // 1000)


def options(args: argparse.Namespace, now: datetime) -> LogOptions:
    from kubectl_batch.kube.group_logs import LogOptions

    if args.max_log_requests < 0:
        raise ActionError("--max-log-requests must be 0 (no limit) or more")
    if args.index is not None and args.index < 0:
        raise ActionError("--index must be 0 or more")
    if args.previous and args.follow:
        raise ActionError("--previous and -f do not go together: a previous container has ended")
    return LogOptions(
        follow=args.follow,
        previous=args.previous,
        container=args.container,
        since_time=since_time(args.since, now),
        tail_lines=args.tail if args.tail >= 0 else None,
        latest_only=not args.all_pods,
        max_streams=args.max_log_requests,
        index=args.index,
    )


class Printer:
    """Whole lines to ``out`` from many threads."""

    def __init__(self, out: TextIO, err: TextIO, prefix: bool, timestamps: bool) -> None:
        self.out, self.err, self.prefix, self.timestamps = out, err, prefix, timestamps
        self._lock = threading.Lock()
        self.errors = 0

    def line(self, ref: PodRef, entry: LogLine) -> None:
        parts = []
        if self.prefix:
            parts.append(f"[{ref.prefix}]")
        if self.timestamps and entry.time is not None:
            parts.append(entry.time.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        parts.append(entry.text)
        with self._lock:
            self.out.write(" ".join(parts) + "\n")
            self.out.flush()

    def failed(self, ref: PodRef, sentence: str) -> None:
        with self._lock:
            self.errors += 1
            self.err.write(f"error: pod/{ref.name} ({ref.prefix}): {sentence}\n")
            self.err.flush()


def follow_logs(
    args: argparse.Namespace, client: ApiClient, out: TextIO, err: TextIO, cache: Any = None
) -> int:
    from kubectl_batch.kube.cache import ClusterCache
    from kubectl_batch.kube.group_logs import LogFollower
    from kubectl_batch.kube.resources import JOBS, PODS

    name = job_name(args)
    opts = options(args, datetime.now(timezone.utc))
    namespace = client.config.namespace
    owned = cache is None
    if cache is None:
        cache = ClusterCache(client, namespace, args.selector, resources=(JOBS, PODS)).start()
    try:
        if not cache.wait_synced(timeout=60):
            raise ActionError("the Jobs and pods could not be listed in 60 s")
        _check_listed(cache)
        if name is not None:
            _check_job(cache, name, args.index)
        if name is None and not cache.jobs() and not opts.follow:
            raise ActionError(f'no jobs in namespace {namespace} match selector "{args.selector}"')
        printer = Printer(out, err, prefix=args.prefix or name is None, timestamps=args.timestamps)
        follower = LogFollower(
            client,
            cache,
            (lambda j: j["metadata"].get("name") == name) if name else (lambda j: True),
            opts,
            printer.line,
            printer.failed,
            until_finished=name is not None,
        )
        _stop_on_sigterm(follower)
        try:
            follower.run()
        except KeyboardInterrupt:
            follower.stop()
            raise
        return 1 if printer.errors else 0
    finally:
        if owned:
            cache.stop()


def _check_job(cache: Any, name: str, index: int | None) -> None:
    from kubectl_batch.domain.jobs import is_indexed

    job = next((j for j in cache.jobs() if j["metadata"].get("name") == name), None)
    if job is None:
        raise ActionError(f'jobs.batch "{name}" not found')
    if index is not None and not is_indexed(job):
        raise ActionError(f"job/{name} is not an Indexed Job: it has no index {index}")
    completions = (job.get("spec") or {}).get("completions")
    if index is not None and completions is not None and index >= completions:
        raise ActionError(f"job/{name} has indexes 0 to {completions - 1}: there is no {index}")


def _check_listed(cache: Any) -> None:
    """A forbidden or failed LIST is the command's failure, in the server's words."""
    for state in cache.states().values():
        if state.message and state.phase.name in ("FORBIDDEN", "RECONNECTING"):
            raise ActionError(state.message)


def _stop_on_sigterm(follower: Any) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: follower.stop())


LOGS_HELP = """\
Prints the logs of a Job's pods, or of every Job a selector matches, like kubectl logs -f -l,
but it follows pods that start after it began (new attempts, new indexes, new Jobs of the
group) and is not capped at five streams (--max-log-requests to cap it). Lines of several
pods are prefixed with job/NAME[INDEX] (a non-indexed Job's pod: job/NAME/POD-SUFFIX).
By default, only the latest attempt of each index (each Job, for a non-indexed Job) is
shown; --all-pods shows every pod. Ctrl-C ends it (exit code 130)."""


class Logs(Command):
    name = "logs"
    summary = "logs of a Job's pods, or of every Job a selector matches"
    usage = "(job/NAME | -l SELECTOR) [--index N] [-f] [-p] [-c CONTAINER] [flags]"
    description = LOGS_HELP
    examples = (
        ("Follow a Job's pods", "kubectl batch logs job/render -f"),
        ("The previous container of index 7", "kubectl batch logs job/render --index 7 --previous"),
        (
            "Every Job of a group, the last 10 minutes, following",
            "kubectl batch logs -l jobgroup=jobexample -f --since 10m",
        ),
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        completes(
            parser.add_argument(
                "objects", nargs="*", metavar="job/NAME", help="the Job (or -l SELECTOR)"
            ),
            objects("Job"),
        )
        completes(
            parser.add_argument(
                "--index", type=int, metavar="N", help="only this completion index"
            ),
            NOTHING,
        )
        parser.add_argument(
            "-f", "--follow", action="store_true", help="stream new lines, new pods"
        )
        parser.add_argument("-p", "--previous", action="store_true", help="the previous container")
        completes(
            parser.add_argument(
                "-c", "--container", metavar="NAME", help="the container (default: first)"
            ),
            NOTHING,
        )
        parser.add_argument(
            "--timestamps", action="store_true", help="prefix each line with its time"
        )
        completes(
            parser.add_argument(
                "--since", metavar="DURATION", help="only newer lines, e.g. 10m, 1h"
            ),
            NOTHING,
        )
        completes(
            parser.add_argument(
                "--tail", type=int, default=-1, metavar="N", help="lines of each pod's tail"
            ),
            NOTHING,
        )
        parser.add_argument(
            "--prefix",
            action="store_true",
            help="prefix each line with its job (and index); always on with -l",
        )
        parser.add_argument(
            "--all-pods", action="store_true", help="every pod, not the latest attempts"
        )
        completes(
            parser.add_argument(
                "--max-log-requests",
                type=int,
                default=0,
                metavar="N",
                help="streams at once at most (default 0: no limit)",
            ),
            NOTHING,
        )

    def validate(self, args: argparse.Namespace) -> None:
        job_name(args)  # argument mistakes before any connection
        options(args, datetime.now(timezone.utc))

    def run(self, args: argparse.Namespace) -> int:
        return run(args)


COMMAND = Logs()


def run(args: argparse.Namespace) -> int:
    from kubectl_batch.commands.connect import connect

    client = connect(args)
    try:
        return follow_logs(args, client, sys.stdout, sys.stderr)
    except KeyboardInterrupt:
        sys.stdout.flush()
        return 130
