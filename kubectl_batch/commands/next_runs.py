"""`kubectl batch next-runs`: when CronJobs will fire, as the CronJob controller decides.

Live: one paginated LIST of CronJobs, then pure computation (domain/cronjobs.py).
Offline (--schedule): no cluster, no kubeconfig.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone, tzinfo
from typing import TYPE_CHECKING

from kubectl_batch.commands.command import NOTHING, Command, completes
from kubectl_batch.domain.cron import ScheduleError, load_zone, parse_schedule
from kubectl_batch.domain.timeutil import format_age_since, format_duration, parse_time

if TYPE_CHECKING:  # the live path imports it (the offline one does not need it)
    from kubectl_batch.domain.cronjobs import CronJobOutlook

MAX_COUNT = 1000


class NextRuns(Command):
    name = "next-runs"
    summary = "next fire times of CronJobs, exactly as the CronJob controller will fire them"
    description = (
        "Prints the next fire times of CronJobs (or of --schedule, offline), computed with the\n"
        "CronJob controller's own rules: robfig/cron syntax, spec.timeZone, its anchor\n"
        "(last schedule time, else creation time), startingDeadlineSeconds, concurrency policy.\n"
        "CronJobs without spec.timeZone use the controller manager's zone: UTC is assumed."
    )
    usage = (
        "[NAME ...] [--count N] [-o wide|json|yaml] [flags]\n"
        "       kubectl batch next-runs --schedule EXPR [--time-zone ZONE] [--after TIME] [flags]"
    )
    examples = (
        ("The next fire times of the CronJobs in namespace etl", "kubectl batch next-runs -n etl"),
        (
            "Five fire times of two CronJobs, with their concurrency and deadlines",
            "kubectl batch next-runs nightly-backup weekly-report --count 5 -o wide",
        ),
        (
            "A schedule, offline: weekdays at 9 in Berlin, DST included",
            'kubectl batch next-runs --schedule "0 9 * * 1-5" --time-zone Europe/Berlin',
        ),
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        completes(
            parser.add_argument(
                "names", nargs="*", metavar="NAME", help="CronJob names (default: all)"
            ),
            "names:CronJob",
        )
        completes(
            parser.add_argument(
                "--count",
                type=int,
                default=3,
                metavar="N",
                help="how many fire times to list (default 3)",
            ),
            NOTHING,
        )
        parser.add_argument(
            "-o",
            "--output",
            choices=("wide", "json", "yaml"),
            help="output format: wide, json or yaml",
        )
        completes(
            parser.add_argument(
                "--schedule",
                metavar="EXPR",
                help="a schedule to compute offline, without a cluster",
            ),
            NOTHING,
        )
        completes(
            parser.add_argument(
                "--time-zone", metavar="ZONE", help="IANA time zone of --schedule (default UTC)"
            ),
            "timezones",
        )
        completes(
            parser.add_argument(
                "--after", metavar="TIME", help="RFC 3339 instant to compute from instead of now"
            ),
            NOTHING,
        )

    def validate(self, args: argparse.Namespace) -> None:
        """The flags and how they combine; ``args.now``: the instant to compute from. The
        schedule and zone of --schedule are checked as they are read, by _offline."""
        if args.count < 1 or args.count > MAX_COUNT:
            raise ValueError(f"--count must be between 1 and {MAX_COUNT}, got {args.count}")
        args.now = _after(args.after)
        if args.schedule is None:
            if args.time_zone is not None:
                raise ValueError(
                    "--time-zone goes with --schedule (live CronJobs use spec.timeZone)"
                )
            return
        if args.names or args.selector or args.all_namespaces:
            raise ValueError(
                "--schedule computes one schedule offline: drop CronJob names, -l and -A"
            )

    def run(self, args: argparse.Namespace) -> int:
        if args.schedule is not None:
            return _offline(args, args.now)
        return _live(args, args.now)


COMMAND = NextRuns()


def _after(text: str | None) -> datetime:
    if text is None:
        return datetime.now(timezone.utc)
    try:
        when = parse_time(text)
    except ValueError:
        when = None
    if when is None or "T" not in text.upper():
        raise ValueError(
            f'invalid --after "{text}": use an RFC 3339 time such as 2026-03-27T00:00:00Z'
        )
    return when


def _offline(args: argparse.Namespace, now: datetime) -> int:
    schedule = parse_schedule(args.schedule)
    zone = load_zone(args.time_zone)
    runs = schedule.next_runs(now, zone, args.count)
    if not runs:
        raise ScheduleError(
            f'schedule "{args.schedule}" never fires within five years of '
            f"{_rfc3339(now)}: the CronJob controller would report it as invalid"
        )
    item = {
        "namespace": None,
        "name": None,
        "schedule": args.schedule,
        "timeZone": args.time_zone,
        "suspend": False,
        "nextRuns": [_rfc3339(t) for t in runs],
    }
    if args.output in ("json", "yaml"):
        _dump({"items": [item]}, args.output)
        return 0
    from kubectl_batch.commands.table import format_table

    headers = ["SCHEDULE", "TIMEZONE", "NEXT", "RUNS"]
    row = [
        args.schedule,
        args.time_zone or "UTC",
        _relative(runs[0], now),
        ", ".join(_local(t, zone) for t in runs),
    ]
    sys.stdout.write(format_table(headers, [row]))
    return 0


def _live(args: argparse.Namespace, now: datetime) -> int:
    from kubectl_batch.commands.connect import connect, scope_namespace
    from kubectl_batch.domain.cronjobs import cronjob_outlook
    from kubectl_batch.kube.resources import CRONJOBS, list_pages

    client = connect(args)
    namespace = scope_namespace(args, client)
    outlooks: list[CronJobOutlook] = []
    by_name: dict[str, dict] = {}
    # One paginated LIST. Each page is computed as it comes: the next one is already
    # asked for, and the API server prepares it meanwhile.
    for cronjobs, _ in list_pages(client, CRONJOBS, namespace, args.selector):
        for cronjob in cronjobs:
            if args.names:
                by_name[cronjob["metadata"]["name"]] = cronjob
            else:
                outlooks.append(cronjob_outlook(cronjob, now, args.count))
    missing: list[str] = []
    if args.names:
        missing = [n for n in args.names if n not in by_name]
        outlooks = [
            cronjob_outlook(by_name[n], now, args.count)
            for n in dict.fromkeys(args.names)
            if n in by_name
        ]
    outlooks.sort(key=lambda o: (o.next_run is None, o.next_run or now, o.namespace, o.name))
    if args.output in ("json", "yaml"):
        _dump({"items": [_item(o) for o in outlooks]}, args.output)
    elif outlooks:
        sys.stdout.write(_table(outlooks, now, args))
    elif not missing:
        where = "any namespace" if namespace is None else f"{namespace} namespace"
        print(f"No resources found in {where}.", file=sys.stderr)
    for name in missing:
        print(f'error: cronjobs.batch "{name}" not found', file=sys.stderr)
    return 1 if missing else 0


def _item(o: CronJobOutlook) -> dict:
    return {
        "namespace": o.namespace,
        "name": o.name,
        "schedule": o.schedule,
        "timeZone": o.time_zone,
        "suspend": o.suspended,
        "nextRuns": [_rfc3339(t) for t in o.next_runs],
        "state": o.state.value,
        "reason": o.reason or None,
        "pendingRun": _rfc3339(o.pending_run) if o.pending_run else None,
        "lastScheduleTime": _rfc3339(o.last_schedule) if o.last_schedule else None,
        "lastSuccessfulTime": _rfc3339(o.last_successful) if o.last_successful else None,
        "active": list(o.active),
        "concurrencyPolicy": o.concurrency_policy,
        "startingDeadlineSeconds": o.starting_deadline_seconds,
    }


_STATE_TEXT = {
    "invalid": "<invalid>",
    "suspended": "<suspended>",
    "due": "due now",
    "blocked": "blocked",
}


def _next_text(o: CronJobOutlook, now: datetime) -> str:
    text = _STATE_TEXT.get(o.state.value)
    if text is not None:
        return text
    if o.next_run is None:
        return "<never>"
    return _relative(o.next_run, now)


def _table(outlooks: list[CronJobOutlook], now: datetime, args: argparse.Namespace) -> str:
    from kubectl_batch.commands.table import format_table

    wide = args.output == "wide"
    headers = ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "LAST SCHEDULE", "NEXT", "RUNS"]
    if args.all_namespaces:
        headers.insert(0, "NAMESPACE")
    if wide:
        headers += ["CONCURRENCY", "DEADLINE", "ACTIVE", "LAST SUCCESSFUL"]
    headers.append("NOTE")
    rows = []
    for o in outlooks:
        row = [
            o.name,
            o.schedule,
            o.time_zone or "<none>",
            "True" if o.suspended else "False",
            format_age_since(o.last_schedule, now) if o.last_schedule else "<none>",
            _next_text(o, now),
            ", ".join(_local(t, o.zone) for t in o.next_runs) or "<none>",
        ]
        if args.all_namespaces:
            row.insert(0, o.namespace)
        if wide:
            row += [
                o.concurrency_policy,
                f"{o.starting_deadline_seconds}s"
                if o.starting_deadline_seconds is not None
                else "<none>",
                ",".join(o.active) or "<none>",
                format_age_since(o.last_successful, now) if o.last_successful else "<none>",
            ]
        row.append(_one_line(o.reason))
        rows.append(row)
    return format_table(headers, rows)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _relative(when: datetime, now: datetime) -> str:
    return f"in {format_duration(when - now)}"


def _local(when: datetime, zone: tzinfo | None) -> str:
    """A fire time in the CronJob's zone, offset shown: 2026-03-27 09:00+01:00."""
    local = when.astimezone(zone)
    text = local.isoformat(sep=" ", timespec="seconds")
    return text[:-9] + text[-6:] if local.second == 0 else text


def _rfc3339(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dump(data: dict, fmt: str) -> None:
    if fmt == "json":
        import json

        sys.stdout.write(json.dumps(data, indent=4) + "\n")
    else:
        import yaml

        sys.stdout.write(yaml.safe_dump(data, sort_keys=False))
