"""`kubectl batch why`: why Jobs are not progressing and when they will end.

The TUI's WHY column as a command: the Jobs named (or selected by ``-l``, in ``-n`` or
``-A``), their pods and the Events about them, each read with one paginated LIST and
projected as the TUI's cache projects them, then domain/diagnosis.py. Exit 1 when a Job is
stuck (something needs someone), else 0.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from kubectl_batch.commands.command import Command, completes, objects

if TYPE_CHECKING:
    from kubectl_batch.domain.diagnosis import Diagnosis

Obj = dict[str, Any]


class Why(Command):
    name = "why"
    summary = "why Jobs are not progressing, and when they will end"
    description = (
        "For each Job (named, or all of -n / -A, or selected by -l): what holds it back,\n"
        "from the Job, its pods and their Events (unschedulable pods, image pulls, config\n"
        "errors, init containers, crash loops, pods never created, queues, backoff), and\n"
        "when it ends (deadline, TTL, ETA). -o wide adds the whole text. Exit 1 when a Job\n"
        "is stuck, else 0."
    )
    usage = "[job/NAME ...] [-o wide|json] [flags]"
    examples = (
        ("Why render-frames has not finished", "kubectl batch why job/render-frames"),
        ("Every Job of every namespace, whole texts as JSON", "kubectl batch why -A -o json"),
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        completes(
            parser.add_argument(
                "objects", nargs="*", metavar="job/NAME", help="Jobs (default: all)"
            ),
            objects("Job"),
        )
        parser.add_argument(
            "-o", "--output", choices=("wide", "json"), help="output format: wide or json"
        )

    def validate(self, args: argparse.Namespace) -> None:
        args.names = _names(args.objects)
        if args.names and args.selector:
            raise ValueError("name Jobs or select them with -l, not both")
        if args.names and args.all_namespaces:
            raise ValueError("a Job name cannot be given with -A: name its namespace with -n")

    def run(self, args: argparse.Namespace) -> int:
        return run(args)


COMMAND = Why()


def _names(words: Sequence[str]) -> list[str]:
    """``job/NAME ...``, ``job NAME ...``, ``jobs`` (all) or bare names -> Job names."""
    from kubectl_batch.commands.actions import parse_refs
    from kubectl_batch.kube.actions.common import ActionError, is_kind, normalize_kind

    words = list(words)
    if not words:
        return []
    if len(words) == 1 and is_kind(words[0]) and "/" not in words[0]:
        if normalize_kind(words[0]) != "Job":
            raise ActionError(f'"{words[0]}": this command acts on jobs')
        return []
    if any("/" in w for w in words) or is_kind(words[0]):
        return [name for _, name in parse_refs(words, ("Job",))]
    return words


def run(args: argparse.Namespace) -> int:
    from kubectl_batch.commands.connect import connect, scope_namespace
    from kubectl_batch.domain.diagnosis import diagnose
    from kubectl_batch.domain.jobs import CONTROLLER_UID_LABEL
    from kubectl_batch.kube.client import ApiError
    from kubectl_batch.kube.resources import EVENTS, JOBS, PODS, list_all, slim_job

    names = args.names
    client = connect(args)
    namespace = scope_namespace(args, client)
    missing: list[str] = []
    if names:
        assert namespace is not None
        jobs = []
        for name in dict.fromkeys(names):
            try:
                jobs.append(slim_job(client.get(JOBS.path(namespace, name))))
            except ApiError as exc:
                if not exc.not_found:
                    raise
                missing.append(name)
    else:
        jobs, _ = list_all(client, JOBS, namespace, args.selector)
    if len(jobs) == 1:
        uid = (jobs[0].get("metadata") or {}).get("uid", "")
        pods, _ = list_all(
            client, PODS, namespace, f"{CONTROLLER_UID_LABEL}={uid}" if uid else None
        )
    elif jobs:
        pods, _ = list_all(client, PODS, namespace)
    else:
        pods = []
    events, _ = list_all(client, EVENTS, namespace) if jobs else ([], "")

    now = datetime.now(timezone.utc)
    pods_by_job: dict[str, list[Obj]] = {}
    for pod in pods:
        uid = ((pod.get("metadata") or {}).get("labels") or {}).get(CONTROLLER_UID_LABEL)
        if uid:
            pods_by_job.setdefault(uid, []).append(pod)
    results = []
    for job in jobs:
        uid = (job.get("metadata") or {}).get("uid", "")
        own = pods_by_job.get(uid, [])
        about = {uid} | {(p.get("metadata") or {}).get("uid") for p in own}
        mine = [e for e in events if (e.get("involvedObject") or {}).get("uid") in about]
        results.append((job, diagnose(job, own, mine, lambda: now)))
    results.sort(key=lambda r: (r[0]["metadata"].get("namespace") or "", r[0]["metadata"]["name"]))

    if args.output == "json":
        import json

        items = [_item(job, d, now) for job, d in results]
        sys.stdout.write(json.dumps({"items": items}, indent=4) + "\n")
    elif results:
        sys.stdout.write(_table(results, now, args))
    elif not missing:
        where = "any namespace" if namespace is None else f"{namespace} namespace"
        print(f"No resources found in {where}.", file=sys.stderr)
    for name in missing:
        print(f'error: jobs.batch "{name}" not found', file=sys.stderr)
    stuck = any(d.stuck for _, d in results)
    return 1 if stuck or missing else 0


def _item(job: Obj, d: Diagnosis, now: datetime) -> dict:
    from kubectl_batch.domain.jobs import JobSummary
    from kubectl_batch.domain.timeutil import to_rfc3339

    meta = job.get("metadata") or {}
    summary = JobSummary.from_job(job, lambda: now)
    return {
        "namespace": meta.get("namespace"),
        "name": meta.get("name"),
        "status": summary.status,
        "stuck": d.stuck,
        "why": d.short_at(now),
        "findings": [
            {
                "code": f.code,
                "severity": f.severity.value,
                "short": f.short_at(now),
                "detail": f.detail_at(now),
                "at": to_rfc3339(f.at) if f.at is not None else None,
                "pods": list(f.pods),
            }
            for f in d.findings
        ],
    }


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _table(results: list[tuple[Obj, Diagnosis]], now: datetime, args: argparse.Namespace) -> str:
    from kubectl_batch.commands.table import format_table
    from kubectl_batch.domain.jobs import JobSummary

    wide = args.output == "wide"
    headers = ["NAME", "STATUS", "COMPLETIONS", "WHY"]
    if args.all_namespaces:
        headers.insert(0, "NAMESPACE")
    if wide:
        headers.append("DETAIL")
    rows = []
    for job, d in results:
        summary = JobSummary.from_job(job, lambda: now)
        row = [summary.name, summary.status, summary.completions, _one_line(d.short_at(now))]
        if args.all_namespaces:
            row.insert(0, summary.namespace)
        if wide:
            row.append(" | ".join(_one_line(f.detail_at(now)) for f in d.findings))
        rows.append(row)
    return format_table(headers, rows)
