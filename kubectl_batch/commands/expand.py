"""`kubectl batch expand -f TEMPLATE (--items A,B | --items-file FILE | --range 0-99)`: one
Job per item, as the Kubernetes docs' expansion pattern does with sed, tied by a group
label; everything checked before anything is created (domain/expand.py), created at a
bounded rate (kube/expand.py).

Output as ``kubectl create``: one line per Job on stdout (``job.batch/x created``, or
``unchanged`` for one an earlier run made); a refusal stops the run with one ``error:``
sentence naming the item and the server's reason, then what was and was not created.
Exit 0 when every item's Job exists, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from kubectl_batch.commands.command import FILES, NOTHING, Command, add_dry_run, completes
from kubectl_batch.domain.expand import (
    ExpandedJob,
    ExpandError,
    check_template,
    expand,
    parse_group_label,
    parse_item_lines,
    parse_item_list,
    parse_range,
)

if TYPE_CHECKING:
    from kubectl_batch.kube.client import ApiClient
    from kubectl_batch.kube.expand import ExpandReport, Outcome

DRY_RUN_SUFFIX = " (server dry run)"
#: Runs of at least this many Jobs get a progress bar (on a terminal).
PROGRESS_FROM = 20
#: Items listed by name in the closing summary at most.
LISTED = 20


def read_template(path: str, stdin: TextIO) -> Any:
    import yaml

    text = stdin.read() if path == "-" else Path(path).read_text()
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise ExpandError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    if len(docs) != 1:
        raise ExpandError(f"{path}: expected one Job template, found {len(docs)} documents")
    return docs[0]


def check_flags(args: argparse.Namespace) -> None:
    """The mistakes the flags alone show."""
    if not args.filename:
        raise ExpandError("give the Job template with -f FILE (or -f - for stdin)")
    if args.rate < 0 or args.max_in_flight < 1:
        raise ExpandError("--rate must be 0 (unlimited) or more, --max-in-flight 1 or more")
    given = [n for n, v in (("--items", args.items), ("--items-file", args.items_file),
                            ("--range", args.range)) if v is not None]  # fmt: skip
    if len(given) != 1:
        raise ExpandError(
            "give the items with exactly one of --items, --items-file or --range"
            + (f" (got {' and '.join(given)})" if given else "")
        )
    if args.range is not None:
        parse_range(args.range)


def read_items(args: argparse.Namespace) -> list[str]:
    if args.items is not None:
        return parse_item_list(args.items)
    if args.items_file is not None:
        text = sys.stdin.read() if args.items_file == "-" else Path(args.items_file).read_text()
        return parse_item_lines(text)
    return parse_range(args.range)


def plan(
    args: argparse.Namespace, stdin: TextIO
) -> tuple[list[ExpandedJob], str | None, tuple[str, str]]:
    """Every Job to create, checked, before any connection; the template's namespace; the
    group label."""
    check_flags(args)
    template = check_template(read_template(args.filename, stdin))
    items = read_items(args)
    group = parse_group_label(args.group_label, template)
    namespace = (template.get("metadata") or {}).get("namespace")
    return expand(template, items, group, normalize=args.normalize), namespace, group


def namespace_for(args: argparse.Namespace, client: ApiClient, template_ns: str | None) -> str:
    """kubectl's rule: the template's namespace unless -n names another (an error)."""
    if template_ns and args.namespace and template_ns != args.namespace:
        raise ExpandError(
            f'the namespace from the template ("{template_ns}") does not match the namespace '
            f'"{args.namespace}": remove one of them'
        )
    return template_ns or client.config.namespace


def outcome_line(outcome: Outcome, dry_run: bool) -> str:
    return f"job.batch/{outcome.job.name} {outcome.result}" + (DRY_RUN_SUFFIX if dry_run else "")


def _names(jobs: list[ExpandedJob]) -> str:
    shown = ", ".join(j.item for j in jobs[:LISTED])
    return shown + (f" and {len(jobs) - LISTED} more" if len(jobs) > LISTED else "")


def summary(report: ExpandReport, jobs: list[ExpandedJob], dry_run: bool) -> list[str]:
    """What a stopped run leaves: the sentence of the refusal, then what was not created."""
    stopped = report.stopped_by
    if stopped is None:
        return []
    missing = report.missing(jobs)
    created = len(report.done("created"))
    existed = len(report.done("unchanged"))
    will = "would be" if dry_run else "was"
    lines = [
        f'item "{stopped.job.item}" (job.batch/{stopped.job.name}) was refused by the API '
        f"server: {stopped.message}"
    ]
    lines.append(
        f"{created} job(s) {'checked' if dry_run else 'created'}, {existed} already existed; "
        f"{len(missing)} item(s) not {'checked' if dry_run else 'created'}: {_names(missing)}"
    )
    if not dry_run:
        lines.append(
            "nothing else " + will + " changed: run the same command again once the cause is "
            "fixed, it creates only the missing items"
        )
    return lines


def run_expand(
    args: argparse.Namespace, client: ApiClient, jobs: list[ExpandedJob], namespace: str,
    group: tuple[str, str], out: TextIO, err: TextIO,
) -> tuple[int, ExpandReport]:  # fmt: skip
    from kubectl_batch.kube.expand import create_jobs

    with ExitStack() as stack:
        progress = None
        if len(jobs) >= PROGRESS_FROM and err.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            progress = stack.enter_context(
                Progress(
                    TextColumn("{task.description}", markup=False),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeRemainingColumn(),
                    console=Console(file=err),
                    transient=True,
                )
            )
            task = progress.add_task("creating jobs", total=len(jobs))
        same_terminal = progress is not None and out.isatty()

        def shown(outcome: Outcome) -> None:
            if outcome.result == "refused":
                return  # told once, in the summary
            line = outcome_line(outcome, args.dry_run)
            if progress is not None:
                progress.advance(task)
                if same_terminal:  # above the bar, not through it
                    progress.console.print(line, markup=False, highlight=False)
                    return
            print(line, file=out, flush=True)

        report = create_jobs(
            client,
            namespace,
            jobs,
            rate=args.rate,
            in_flight=args.max_in_flight,
            dry_run=args.dry_run,
            on_outcome=shown,
            group_selector=f"{group[0]}={group[1]}",
        )
    lines = summary(report, jobs, args.dry_run)
    for i, line in enumerate(lines):
        print(("error: " if i == 0 else "") + line, file=err)
    return (1 if lines else 0), report


EXPAND_HELP = """\
Creates one Job per item from a Job template, as the Kubernetes docs' "parallel processing
using expansions" does with sed, and ties them with a group label.

What is replaced: every $ITEM (not followed by a letter, digit or _) and every ${ITEM} in
every string value of the template (keys excepted), after the YAML is read: an item can
never change the YAML's structure. The template's metadata.name must contain $ITEM.

Items go into Job names, so each must be lower-case letters, digits and '-', starting and
ending with a letter or digit, and each Job name at most 63 characters. Items that are not
are all named and refused before anything is created; with --normalize they are
lower-cased and every run of other characters becomes '-' (Apple_Pie -> apple-pie), and
$ITEM means the normalised item everywhere (the item as given is kept in the annotation
batch.kubectl-batch.io/expand-item). Items that end up equal are refused.

Each Job and its pod template get the group label (--group-label KEY=VALUE, default
jobgroup=<the template's name without $ITEM>). Jobs are created at --rate per second with
at most --max-in-flight requests at once; 429 Too Many Requests is waited out (Retry-After
honoured). A refusal (ResourceQuota, admission, validation) stops the run with one
sentence naming the item and the server's reason. Running the same command again creates
only the missing items: an existing Job made from the same template for the same item
(annotation batch.kubectl-batch.io/expand-hash) counts as done; a different Job of that
name is never touched."""


class Expand(Command):
    name = "expand"
    summary = "create one Job per item from a Job template ($ITEM)"
    usage = "-f TEMPLATE (--items A,B,C | --items-file FILE | --range FIRST-LAST) [flags]"
    description = EXPAND_HELP
    examples = (
        ("One Job per item", "kubectl batch expand -f job-tmpl.yaml --items apple,banana,cherry"),
        (
            "Check 100 Jobs with the API server",
            "kubectl batch expand -f job-tmpl.yaml --range 0-99 --dry-run=server",
        ),
        (
            "Items from a file, a group label of your own",
            "kubectl batch expand -f job-tmpl.yaml --items-file items.txt --group-label run=r7",
        ),
        (
            "Then watch the group in the UI",
            "kubectl batch expand -f job-tmpl.yaml --items apple,banana --watch",
        ),
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        completes(
            parser.add_argument(
                "-f", "--filename", metavar="FILE", help="the Job template (- for stdin)"
            ),
            FILES,
        )
        completes(
            parser.add_argument("--items", metavar="A,B,C", help="the items, comma separated"),
            NOTHING,
        )
        completes(
            parser.add_argument(
                "--items-file", metavar="FILE", help="the items, one per line (- for stdin)"
            ),
            FILES,
        )
        completes(
            parser.add_argument(
                "--range", metavar="FIRST-LAST", help="the items FIRST..LAST, e.g. 0-99"
            ),
            NOTHING,
        )
        completes(
            parser.add_argument(
                "--group-label",
                metavar="KEY=VALUE",
                help="the label tying the Jobs (default jobgroup=<template name without $ITEM>)",
            ),
            NOTHING,
        )
        parser.add_argument(
            "--normalize",
            action="store_true",
            help="make items valid in a Job name (lower case, '-') instead of refusing them",
        )
        completes(
            parser.add_argument(
                "--rate",
                type=float,
                default=20.0,
                metavar="N",
                help="creates per second (default 20)",
            ),
            NOTHING,
        )
        completes(
            parser.add_argument(
                "--max-in-flight",
                type=int,
                default=8,
                metavar="N",
                help="create requests at once at most (default 8)",
            ),
            NOTHING,
        )
        add_dry_run(parser)
        parser.add_argument(
            "--watch", action="store_true", help="then open the UI on the new group"
        )

    def validate(self, args: argparse.Namespace) -> None:
        check_flags(args)  # the template and the items are read by run, before connecting

    def run(self, args: argparse.Namespace) -> int:
        return run(args)


COMMAND = Expand()


def run(args: argparse.Namespace) -> int:
    jobs, template_ns, group = plan(args, sys.stdin)
    from kubectl_batch.commands.connect import connect

    client = connect(args)
    namespace = namespace_for(args, client, template_ns)
    code, _ = run_expand(args, client, jobs, namespace, group, sys.stdout, sys.stderr)
    if code == 0 and args.watch and not args.dry_run:
        return watch(args, client, group)
    return code


def watch(args: argparse.Namespace, client: ApiClient, group: tuple[str, str]) -> int:
    """``--watch``: the UI on the new group (its selector, grouped by the group label)."""
    from functools import partial

    from kubectl_batch.commands.connect import connect
    from kubectl_batch.tui.app import run_app
    from kubectl_batch.tui.screens.groups import start_grouped

    key, value = group
    args.selector = f"{key}={value}"
    start_grouped(key)
    return run_app(client, args, partial(connect, args))
