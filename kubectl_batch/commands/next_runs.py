"""`kubectl batch next-runs`: when CronJobs will fire, as the CronJob controller decides.

Live: one paginated LIST of CronJobs, then pure computation (domain/cronjobs.py).
Offline (--schedule, or -f manifests): no cluster, no kubeconfig.
Each schedule is described in words (domain/cron_words.py) and checked
(domain/cron_warnings.py): warnings go to stderr as kubectl prints them ("Warning: ..."),
and into the JSON/YAML items as "findings".
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from datetime import datetime, timezone, tzinfo
from typing import TYPE_CHECKING

from kubectl_batch.commands.command import FILES, NOTHING, Command, completes
from kubectl_batch.domain.cron import ScheduleError, load_zone, parse_schedule
from kubectl_batch.domain.cron_warnings import Finding, cronjob_findings, rejection_message
from kubectl_batch.domain.cron_words import describe_schedule
from kubectl_batch.domain.quoting import go_quote
from kubectl_batch.domain.timeutil import format_age_since, format_duration, parse_time

if TYPE_CHECKING:  # the live path imports it (the offline one does not need it)
    from kubectl_batch.domain.cronjobs import CronJobOutlook
    from kubectl_batch.kube.client import ApiClient

MAX_COUNT = 1000


class NextRuns(Command):
    name = "next-runs"
    summary = "next fire times of CronJobs, exactly as the CronJob controller will fire them"
    description = (
        "Prints the next fire times of CronJobs (or of --schedule, offline), computed with the\n"
        "CronJob controller's own rules: robfig/cron syntax, spec.timeZone, its anchor\n"
        "(last schedule time, else creation time), startingDeadlineSeconds, concurrency policy.\n"
        "CronJobs without spec.timeZone use the controller manager's zone: UTC is assumed.\n"
        "Each schedule is said in words (-o wide, JSON, --schedule) and checked: what the API\n"
        "rejects, with the nearest form it accepts, and warnings (both day fields, daylight\n"
        "saving, no time zone, deadlines, missed runs, Forbid) on stderr. -f checks the\n"
        "CronJobs of manifests offline, for CI."
    )
    usage = (
        "[NAME ...] [--count N] [-o wide|json|yaml] [--strict] [flags]\n"
        "       kubectl batch next-runs --schedule EXPR [--time-zone ZONE] [--after TIME] [flags]\n"
        "       kubectl batch next-runs -f FILE|DIR|- [--strict] [-o json|yaml] [flags]"
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
        (
            "Check the CronJobs of manifests in CI (exit 1 if the API would reject one)",
            "kubectl batch next-runs -f k8s/ --strict",
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
        completes(
            parser.add_argument(
                "-f",
                "--filename",
                action="append",
                metavar="FILE",
                help="check the CronJobs of manifests offline (file, directory or - for stdin; "
                "repeatable): exit 1 if the API would reject one",
            ),
            FILES,
        )
        parser.add_argument(
            "--strict", action="store_true", help="exit 1 on warnings too, not only on errors"
        )

    def validate(self, args: argparse.Namespace) -> None:
        """The flags and how they combine; ``args.now``: the instant to compute from. The
        schedule and zone of --schedule are checked as they are read, by _offline."""
        if args.count < 1 or args.count > MAX_COUNT:
            raise ValueError(f"--count must be between 1 and {MAX_COUNT}, got {args.count}")
        args.now = _after(args.after)
        if args.filename:
            if args.schedule is not None:
                raise ValueError("-f checks manifests; --schedule one schedule: use one of them")
            if args.names or args.selector or args.all_namespaces or args.time_zone:
                raise ValueError(
                    "-f checks the CronJobs of files: drop CronJob names, -l, -A and --time-zone"
                )
            return
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
        if args.filename:
            from kubectl_batch.commands.manifests import check_manifests

            return check_manifests(args, args.now)
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
            f"invalid --after {go_quote(text)}: use an RFC 3339 time such as 2026-03-27T00:00:00Z"
        )
    return when


def _offline(args: argparse.Namespace, now: datetime) -> int:
    try:
        schedule = parse_schedule(args.schedule)
    except ScheduleError as err:
        raise ScheduleError(rejection_message(args.schedule, err)) from None
    zone = load_zone(args.time_zone)
    runs = schedule.next_runs(now, zone, args.count)
    if not runs:
        raise ScheduleError(
            f"schedule {go_quote(args.schedule)} never fires within five years of "
            f"{rfc3339(now)}: the CronJob controller would report it as invalid"
        )
    findings = cronjob_findings(
        {"spec": {"schedule": args.schedule, "timeZone": args.time_zone}}, now
    )
    description = describe_schedule(schedule, args.time_zone)
    item = {
        "namespace": None,
        "name": None,
        "schedule": args.schedule,
        "timeZone": args.time_zone,
        "suspend": False,
        "nextRuns": [rfc3339(t) for t in runs],
        "description": description,
        "findings": finding_items(findings),
    }
    if args.output in ("json", "yaml"):
        dump({"items": [item]}, args.output)
        return strict_code(args, findings)
    from kubectl_batch.commands.table import format_table

    headers = ["SCHEDULE", "TIMEZONE", "NEXT", "RUNS"]
    row = [
        cell(args.schedule),
        cell(args.time_zone or "UTC"),
        relative(runs[0], now),
        ", ".join(local_time(t, zone) for t in runs),
    ]
    sys.stdout.write(format_table(headers, [row]))
    sys.stdout.write(description + "\n")
    print_findings(findings)
    return strict_code(args, findings)


def finding_items(findings: list[Finding]) -> list[dict]:
    return [{"level": f.level, "code": f.code, "message": f.message} for f in findings]


def print_findings(findings: list[Finding], where: str = "") -> None:
    """kubectl's way: "Warning: ..." (and "error: ...") lines on stderr, one per finding."""
    for f in findings:
        prefix = "error" if f.is_error else "Warning"
        print(f"{prefix}: {where}{f.message}", file=sys.stderr)


#: CronJobs named in one grouped warning line before "and N more".
GROUP_NAMES = 3


def print_grouped_findings(named: Iterable[tuple[str, list[Finding]]]) -> None:
    """Findings of many CronJobs; the same one for several is one line naming them
    (a thousand CronJobs without spec.timeZone make one line, not a thousand)."""
    by_finding: dict[Finding, list[str]] = {}
    for name, findings in named:
        for f in findings:
            by_finding.setdefault(f, []).append(name)
    for f, names in by_finding.items():
        shown = ", ".join(names[:GROUP_NAMES])
        more = len(names) - GROUP_NAMES
        who = f"cronjob {shown}" if len(names) == 1 else f"cronjobs {shown}"
        if more > 0:
            who += f" and {more} more"
        print_findings([f], f"{who}: ")


def strict_code(args: argparse.Namespace, findings: list[Finding]) -> int:
    """--strict: exit 1 on any finding (warnings too)."""
    return 1 if getattr(args, "strict", False) and findings else 0


def cell(text: str) -> str:
    """A table cell from user input: quoted as Go's %q when it has a newline, tab or an
    invisible character, so that a row stays one row."""
    return text if text.isprintable() else go_quote(text)


def _live(args: argparse.Namespace, now: datetime) -> int:
    from kubectl_batch.commands.connect import connect, scope_namespace
    from kubectl_batch.domain.cronjobs import cronjob_outlook
    from kubectl_batch.kube.resources import CRONJOBS, list_pages

    client = connect(args)
    namespace = scope_namespace(args, client)
    outlooks: list[CronJobOutlook] = []
    by_name: dict[str, dict] = {}
    findings: dict[tuple[str, str], list[Finding]] = {}
    forbid: list[dict] = []  # checked again with their Jobs, once all pages are in

    def add(cronjob: dict) -> None:
        outlook = cronjob_outlook(cronjob, now, args.count)
        outlooks.append(outlook)
        findings[outlook.namespace, outlook.name] = cronjob_findings(cronjob, now)
        if outlook.concurrency_policy == "Forbid":
            forbid.append(cronjob)

    # One paginated LIST. Each page is computed as it comes: the next one is already
    # asked for, and the API server prepares it meanwhile.
    for cronjobs, _ in list_pages(client, CRONJOBS, namespace, args.selector):
        for cronjob in cronjobs:
            if args.names:
                by_name[cronjob["metadata"]["name"]] = cronjob
            else:
                add(cronjob)
    missing: list[str] = []
    if args.names:
        missing = [n for n in args.names if n not in by_name]
        for n in dict.fromkeys(args.names):
            if n in by_name:
                add(by_name[n])
    outlooks.sort(key=lambda o: (o.next_run is None, o.next_run or now, o.namespace, o.name))
    if forbid and (args.names or args.output):
        # Whether Forbid skips runs needs the CronJobs' Jobs: one more LIST, so only when
        # more detail is asked for (-o wide|json|yaml) or for named CronJobs.
        findings.update(_forbid_findings(client, namespace, forbid, now))
    if args.output in ("json", "yaml"):
        dump({"items": [_item(o, findings[o.namespace, o.name]) for o in outlooks]}, args.output)
    elif outlooks:
        sys.stdout.write(_table(outlooks, now, args))
        print_grouped_findings(
            (f"{o.namespace}/{o.name}", findings[o.namespace, o.name]) for o in outlooks
        )
    elif not missing:
        where = "any namespace" if namespace is None else f"{namespace} namespace"
        print(f"No resources found in {where}.", file=sys.stderr)
    for name in missing:
        print(f"error: cronjobs.batch {go_quote(name)} not found", file=sys.stderr)
    if missing:
        return 1
    return strict_code(args, [f for fs in findings.values() for f in fs])


def _forbid_findings(
    client: ApiClient, namespace: str | None, cronjobs: list[dict], now: datetime
) -> dict[tuple[str, str], list[Finding]]:
    """The findings of CronJobs with concurrencyPolicy Forbid, with their Jobs (one more
    LIST, only then): they tell whether its runs usually outlast the interval."""
    from kubectl_batch.domain.cronjobs import owned_jobs
    from kubectl_batch.kube.resources import JOBS, list_all

    jobs, _ = list_all(client, JOBS, namespace)
    out = {}
    for cronjob in cronjobs:
        meta = cronjob.get("metadata") or {}
        key = (meta.get("namespace", ""), meta.get("name", ""))
        out[key] = cronjob_findings(cronjob, now, owned_jobs(cronjob, jobs))
    return out


def _item(o: CronJobOutlook, findings: list[Finding]) -> dict:
    return {
        "namespace": o.namespace,
        "name": o.name,
        "schedule": o.schedule,
        "timeZone": o.time_zone,
        "suspend": o.suspended,
        "nextRuns": [rfc3339(t) for t in o.next_runs],
        "state": o.state.value,
        "reason": o.reason or None,
        "pendingRun": rfc3339(o.pending_run) if o.pending_run else None,
        "lastScheduleTime": rfc3339(o.last_schedule) if o.last_schedule else None,
        "lastSuccessfulTime": rfc3339(o.last_successful) if o.last_successful else None,
        "active": list(o.active),
        "concurrencyPolicy": o.concurrency_policy,
        "startingDeadlineSeconds": o.starting_deadline_seconds,
        "description": describe(o),
        "findings": finding_items(findings),
    }


def describe(o: CronJobOutlook) -> str | None:
    """The schedule in words (None when the API would reject it)."""
    try:
        return describe_schedule(parse_schedule(o.schedule), o.time_zone)
    except ScheduleError:
        return None


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
    return relative(o.next_run, now)


def _table(outlooks: list[CronJobOutlook], now: datetime, args: argparse.Namespace) -> str:
    from kubectl_batch.commands.table import format_table

    wide = args.output == "wide"
    headers = ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "LAST SCHEDULE", "NEXT", "RUNS"]
    if args.all_namespaces:
        headers.insert(0, "NAMESPACE")
    if wide:
        headers += ["CONCURRENCY", "DEADLINE", "ACTIVE", "LAST SUCCESSFUL", "DESCRIPTION"]
    headers.append("NOTE")
    rows = []
    for o in outlooks:
        row = [
            o.name,
            cell(o.schedule),
            cell(o.time_zone) if o.time_zone else "<none>",
            "True" if o.suspended else "False",
            format_age_since(o.last_schedule, now) if o.last_schedule else "<none>",
            _next_text(o, now),
            ", ".join(local_time(t, o.zone) for t in o.next_runs) or "<none>",
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
                describe(o) or "<invalid>",
            ]
        row.append(_one_line(o.reason))
        rows.append(row)
    return format_table(headers, rows)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def relative(when: datetime, now: datetime) -> str:
    return f"in {format_duration(when - now)}"


def local_time(when: datetime, zone: tzinfo | None) -> str:
    """A fire time in the CronJob's zone, offset shown: 2026-03-27 09:00+01:00."""
    local = when.astimezone(zone)
    text = local.isoformat(sep=" ", timespec="seconds")
    return text[:-9] + text[-6:] if local.second == 0 else text


def rfc3339(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def dump(data: dict, fmt: str) -> None:
    if fmt == "json":
        import json

        sys.stdout.write(json.dumps(data, indent=4) + "\n")
    else:
        import yaml

        sys.stdout.write(yaml.safe_dump(data, sort_keys=False))
