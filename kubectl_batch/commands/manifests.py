"""`kubectl batch next-runs -f FILE|DIR|-`: the CronJobs of manifests, checked offline.

For CI, before `kubectl apply`: every CronJob (also inside `List` objects) of every
multi-document YAML or JSON file (directories recursively: *.yaml, *.yml, *.json; `-`
reads stdin, e.g. from `kustomize build` or `helm template`) is checked the way the API
server validates its schedule and time zone, and described with its next runs and the
warnings of domain/cron_warnings.py. Other kinds are skipped. Exit 1 when the API would
reject a CronJob (or a file cannot be read), 0 otherwise; --strict fails on warnings too.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kubectl_batch.commands.next_runs import (
    cell,
    dump,
    finding_items,
    local_time,
    print_findings,
    relative,
    rfc3339,
)
from kubectl_batch.domain.cron import ScheduleError, load_zone, parse_schedule
from kubectl_batch.domain.cron_warnings import Finding, cronjob_findings
from kubectl_batch.domain.cron_words import describe_schedule
from kubectl_batch.domain.quoting import go_quote

SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"


@dataclass(frozen=True)
class Document:
    file: str
    line: int  # where the document (or the List item) starts, from 1
    index: int  # which document of the file, from 1
    item: int | None  # which item of a List, from 0
    obj: Any

    @property
    def where(self) -> str:
        """`deploy/cron.yaml:12 (document 2, items[0])`: the file and the document's place."""
        item = f", items[{self.item}]" if self.item is not None else ""
        place = f"document {self.index}{item}"
        return f"{self.file}:{self.line} ({place})"


class ReadError(Exception):
    """A file that cannot be read or parsed (one line)."""


def check_manifests(args: argparse.Namespace, now: datetime) -> int:
    items: list[dict] = []
    rows: list[list[str]] = []
    reports: list[tuple[str, list[Finding]]] = []
    errors: list[str] = []
    for doc in documents(args.filename, errors):
        cronjob = doc.obj
        meta, spec = (_mapping(cronjob.get(k)) for k in ("metadata", "spec"))
        name: str = meta["name"] if isinstance(meta.get("name"), str) else ""
        findings = cronjob_findings(cronjob, now)
        expr, tz_name = spec.get("schedule"), spec.get("timeZone")
        runs: list[datetime] = []
        description = None
        zone = None
        if not any(f.is_error for f in findings):
            assert isinstance(expr, str)  # (else a finding is an error)
            schedule, zone = parse_schedule(expr), load_zone(tz_name)
            try:
                runs = schedule.next_runs(now, zone, args.count)
            except ScheduleError:  # robfig would loop forever: NeverFires says why
                runs = []
            description = describe_schedule(schedule, tz_name)
        items.append(
            {
                "file": doc.file,
                "line": doc.line,
                "document": doc.index,
                "item": doc.item,
                "namespace": meta.get("namespace"),
                "name": name,
                "schedule": expr,
                "timeZone": tz_name,
                "valid": description is not None,
                "nextRuns": [rfc3339(t) for t in runs],
                "description": description,
                "findings": finding_items(findings),
            }
        )
        rows.append(
            [
                f"{doc.file}:{doc.line}",
                cell(name) or "<none>",
                cell(expr) if isinstance(expr, str) else "<none>",
                cell(tz_name) if isinstance(tz_name, str) and tz_name else "<none>",
                "<invalid>"
                if description is None
                else (relative(runs[0], now) if runs else "<never>"),
                ", ".join(local_time(t, zone) for t in runs) or "<none>",
                description or "<invalid>",
            ]
        )
        reports.append((f"{doc.where} cronjob/{cell(name) or '<none>'}: ", findings))
    if args.output in ("json", "yaml"):
        dump({"items": items, "errors": errors}, args.output)
    elif rows:
        from kubectl_batch.commands.table import format_table

        headers = ["FILE", "NAME", "SCHEDULE", "TIMEZONE", "NEXT", "RUNS", "DESCRIPTION"]
        sys.stdout.write(format_table(headers, rows))
    elif not errors:
        print("No CronJobs found.", file=sys.stderr)
    for where, findings in reports:
        print_findings(findings, where)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    found = [f for _, fs in reports for f in fs]
    if errors or any(f.is_error for f in found):
        return 1
    return 1 if args.strict and found else 0


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def documents(paths: list[str], errors: list[str]) -> Iterator[Document]:
    """The CronJob documents of ``paths`` in order; what cannot be read goes to ``errors``."""
    for path in paths:
        try:
            for name, text in _sources(path):
                try:
                    yield from _cronjobs(name, text)
                except ReadError as err:
                    errors.append(str(err))
        except ReadError as err:
            errors.append(str(err))


def _sources(path: str) -> Iterator[tuple[str, str]]:
    if path == STDIN:
        yield "<stdin>", sys.stdin.read()
        return
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.suffix in SUFFIXES and f.is_file())
    elif p.exists():
        files = [p]
    else:
        raise ReadError(f"the path {go_quote(path)} does not exist")
    for f in files:
        try:
            yield str(f), f.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ReadError(f"cannot read {go_quote(str(f))}: {err}") from None


def _cronjobs(name: str, text: str) -> Iterator[Document]:
    for line, index, obj in _parse(name, text):
        if not isinstance(obj, dict):
            continue
        kind = obj.get("kind")
        items = obj.get("items")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, dict) and item.get("kind") == "CronJob":
                    yield Document(name, line, index, i, item)
        elif kind == "CronJob":
            yield Document(name, line, index, None, obj)


def _parse(name: str, text: str) -> Iterator[tuple[int, int, Any]]:
    """(line, document number, object) of each document of a YAML or JSON file."""
    if name.endswith(".json"):
        try:
            yield 1, 1, json.loads(text)
        except json.JSONDecodeError as err:
            raise ReadError(
                f"{name}:{err.lineno}: invalid JSON: {err.msg} (column {err.colno})"
            ) from None
        return
    import yaml

    loader = yaml.SafeLoader(text)
    index = 0
    try:
        while loader.check_node():
            index += 1
            node = loader.get_node()
            if node is not None:
                yield node.start_mark.line + 1, index, loader.construct_document(node)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ReadError(
            f"{name}{at}: invalid YAML in document {max(index, 1)}: {' '.join(problem.split())}"
        ) from None
    finally:
        loader.dispose()
