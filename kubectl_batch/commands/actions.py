"""`kubectl batch suspend|resume|trigger|retry-failed|rerun|delete`: the TUI's actions as
subcommands, on the shared implementation in kube/actions/. Output and exit codes follow
kubectl: one line per object (``cronjob.batch/nightly suspended``), 0 when everything
succeeded, 1 when anything failed (each object's outcome is printed first)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from kubectl_batch.domain.jobs import is_job_finished
from kubectl_batch.kube.actions import (
    ActionError,
    ActionResult,
    DeletePlan,
    execute_delete,
    get_object,
    kubectl_ref,
    normalize_kind,
    plan_delete,
    rerun_job,
    retry_failed_indexes,
    select_objects,
    set_suspend,
    suspend_warning,
    trigger_cronjob,
)
from kubectl_batch.kube.actions.common import is_kind, target_of

if TYPE_CHECKING:
    from kubectl_batch.kube.client import ApiClient

DRY_RUN_SUFFIX = " (server dry run)"  # kubectl's words for a dryRun=All request

# ---------------------------------------------------------------- argument parsing


def parse_refs(words: list[str], allowed: tuple[str, ...]) -> list[tuple[str, str]]:
    """``kind/NAME ...`` or ``kind NAME ...`` -> [(kind, name)]; kinds in kubectl's spellings.
    ``allowed`` are the kinds the command acts on."""
    if not words:
        raise ActionError("no object given: name one as KIND/NAME, e.g. cronjob/nightly")
    refs: list[tuple[str, str]] = []
    if any("/" in w for w in words):
        for w in words:
            kind, slash, name = w.partition("/")
            if not slash:
                raise ActionError(
                    f'"{w}" has no kind: there is no need to give a kind separately '
                    "when passing arguments in KIND/NAME form"
                )
            if not name or "/" in name:
                raise ActionError(f'"{w}" is not of the form KIND/NAME')
            refs.append((normalize_kind(kind), name))
    else:
        kind, *names = words
        kind = normalize_kind(kind)
        if not names:
            raise ActionError(
                f"no {kind.lower()} name given: use {kind.lower()}/NAME, "
                f"{kind.lower()} NAME, or -l SELECTOR"
            )
        refs = [(kind, n) for n in names]
    for kind, name in refs:
        if kind not in allowed:
            what = " or ".join(k.lower() for k in allowed)
            raise ActionError(f"{target_of(kind, name)} is a {kind}: this command acts on a {what}")
    return refs


def parse_one(words: list[str], kind: str) -> str:
    """The single object of trigger/retry-failed/rerun: ``kind/NAME``, ``kind NAME`` or a
    bare NAME (the kind is implied)."""
    if len(words) == 1 and "/" not in words[0] and not is_kind(words[0]):
        return words[0]
    refs = parse_refs(words, (kind,))
    if len(refs) != 1:
        raise ActionError(f"this command acts on one {kind.lower()}, {len(refs)} were given")
    return refs[0][1]


def parse_kinds(words: list[str], default: tuple[str, ...] | None) -> tuple[str, ...]:
    """The kinds before ``-l``: ``cronjobs``, ``jobs,cronjobs``, ``cj job``."""
    kinds = [normalize_kind(k) for w in words for k in w.split(",") if k]
    if not kinds:
        if default is None:
            raise ActionError(
                "give the kind to select: e.g. `cronjobs -l SELECTOR` or `jobs,cronjobs -l ...`"
            )
        return default
    return tuple(dict.fromkeys(kinds))


def parse_delete_kinds(text: str) -> tuple[str, ...]:
    if text.strip().lower() == "all":
        return ("Job", "CronJob")
    return parse_kinds([text], None)


# ------------------------------------------------------------------------ output


def result_line(result: ActionResult) -> str:
    line = f"{kubectl_ref(result.target)} {result.outcome}"
    return line + (DRY_RUN_SUFFIX if result.dry_run else "")


def _print_error(text: str, err: TextIO) -> None:
    print(f"error: {text}", file=err)


# ----------------------------------------------------------------------- commands


def _client(args: argparse.Namespace) -> ApiClient:
    from kubectl_batch.commands.connect import connect

    return connect(args)


def _scope(args: argparse.Namespace, client: ApiClient) -> str | None:
    from kubectl_batch.commands.connect import scope_namespace

    return scope_namespace(args, client)


def _finished_job_to_change(kind: str, obj: dict | None, suspend: bool) -> bool:
    if obj is None or kind != "Job" or not is_job_finished(obj):
        return False
    return ((obj.get("spec") or {}).get("suspend") is True) != suspend


def run_suspend(args: argparse.Namespace, client: ApiClient, out: TextIO, err: TextIO) -> int:
    suspend = args.action == "suspend"
    namespace = client.config.namespace
    if args.selector:
        if any("/" in w for w in args.objects):
            raise ActionError("give either objects by name or -l SELECTOR, not both")
        kinds = parse_kinds(args.objects, None)
        scope = _scope(args, client)
        objects = select_objects(client, kinds, scope, args.selector)
        if not objects:
            where = f"in namespace {namespace}" if scope else "in any namespace"
            plural = " or ".join(k.lower() + "s" for k in kinds)
            raise ActionError(f'no {plural} {where} match selector "{args.selector}"')
        todo: list[tuple[str, str, str, dict | None]] = [
            (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"], o) for o in objects
        ]
    else:
        refs = parse_refs(args.objects, ("Job", "CronJob"))
        todo = [(kind, namespace, name, None) for kind, name in refs]
    failed = 0
    for kind, ns, name, obj in todo:
        # Selected by label: a finished Job has nothing to suspend or resume.
        if _finished_job_to_change(kind, obj, suspend):
            print(f"{kubectl_ref(target_of(kind, name))} skipped (finished)", file=out)
            continue
        try:
            if suspend and kind == "Job":
                warning = suspend_warning(obj or get_object(client, kind, ns, name))
                if warning:
                    print(f"Warning: {warning}", file=err)
            result = set_suspend(
                client,
                kind,
                ns,
                name,
                suspend,
                dry_run=args.dry_run,
                force=getattr(args, "force", False),
            )
        except ActionError as exc:
            failed += 1
            _print_error(str(exc), err)
            continue
        print(result_line(result), file=out)
    return 1 if failed else 0


def run_trigger(args: argparse.Namespace, client: ApiClient, out: TextIO, err: TextIO) -> int:
    name = parse_one(args.objects, "CronJob")
    result = trigger_cronjob(
        client, client.config.namespace, name, job_name=args.job_name, dry_run=args.dry_run
    )
    line = f"job.batch/{result.created} created (from cronjob/{name})"
    print(line + (DRY_RUN_SUFFIX if result.dry_run else ""), file=out)
    return 0


def run_retry_failed(args: argparse.Namespace, client: ApiClient, out: TextIO, err: TextIO) -> int:
    name = parse_one(args.objects, "Job")
    if args.max_jobs < 1:
        raise ActionError("--max-jobs must be at least 1")
    result = retry_failed_indexes(
        client, client.config.namespace, name, dry_run=args.dry_run, max_jobs=args.max_jobs
    )
    from kubectl_batch.domain.indexes import IndexSet

    indexes = list(IndexSet.parse(result.indexes or ""))
    suffix = DRY_RUN_SUFFIX if result.dry_run else ""
    for index, created in zip(indexes, result.created_all, strict=False):
        print(f"job.batch/{created} created (index {index} of job/{name}){suffix}", file=out)
    return 0


def run_rerun(args: argparse.Namespace, client: ApiClient, out: TextIO, err: TextIO) -> int:
    name = parse_one(args.objects, "Job")
    result = rerun_job(client, client.config.namespace, name, dry_run=args.dry_run)
    suffix = DRY_RUN_SUFFIX if result.dry_run else ""
    print(f"job.batch/{result.created} created (re-runs job/{name}){suffix}", file=out)
    return 0


def describe_plan(plan: DeletePlan) -> list[str]:
    """The preview: one line per object with what goes with it."""
    lines = []
    width = max(len(kubectl_ref(t.target)) for t in plan.targets)
    for t in plan.targets:
        parts = [_plural(t.jobs, "job")] if t.kind == "CronJob" else []
        parts.append("pods unknown" if t.pods < 0 else _plural(t.pods, "pod"))
        where = f"  (namespace {t.namespace})" if plan.namespace is None else ""
        lines.append(f"{kubectl_ref(t.target):<{width}}  {', '.join(parts)}{where}")
    return lines


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _objects(n: int) -> str:
    return _plural(n, "object")


def run_delete(
    args: argparse.Namespace,
    client: ApiClient,
    out: TextIO,
    err: TextIO,
    stdin: TextIO | None = None,
    prompt: Callable[[str], str] = input,
) -> int:
    stdin = stdin or sys.stdin
    if args.objects:
        raise ActionError(
            "delete selects by label: use -l SELECTOR (and --kind jobs|cronjobs|all), not names"
        )
    kinds = parse_delete_kinds(args.kind)
    scope = _scope(args, client)
    plan = plan_delete(client, scope, args.selector or "", kinds, allow_all=args.all)
    n = len(plan.targets)
    where = f"namespace {plan.namespace}" if plan.namespace else "all namespaces"
    will = "would" if args.dry_run else "will"
    pods = _plural(plan.pods, "pod")
    print(f"{_plural(n, 'object')} in {where} {will} be deleted, with {pods}:", file=out)
    for line in describe_plan(plan):
        print(f"  {line}", file=out)
    if args.dry_run:
        print(f"nothing deleted{DRY_RUN_SUFFIX}", file=out)
        return 0
    if not args.yes:
        if not stdin.isatty():
            raise ActionError(
                f"refusing to delete {_objects(n)} without confirmation: stdin is not a "
                "terminal; pass --yes to confirm"
            )
        out.flush()
        answer = prompt(f"Delete {_objects(n)}? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            raise ActionError("cancelled: nothing was deleted")
    failed = 0
    for result in execute_delete(client, plan):
        kind, _, name = result.target.partition("/")
        if result.ok:
            if result.changed:
                print(f'{kind}.batch "{name}" deleted', file=out)
            else:
                print(f"{kubectl_ref(result.target)} {result.outcome}", file=out)
        else:
            failed += 1
            _print_error(f"{kubectl_ref(result.target)} {result.outcome}", err)
    return 1 if failed else 0


COMMANDS: dict[str, Callable[[argparse.Namespace, ApiClient, TextIO, TextIO], int]] = {
    "suspend": run_suspend,
    "resume": run_suspend,
    "trigger": run_trigger,
    "retry-failed": run_retry_failed,
    "rerun": run_rerun,
    "delete": run_delete,
}


def check_args(args: argparse.Namespace) -> None:
    """Argument mistakes, found before any connection is made."""
    words = args.objects
    if args.action in ("suspend", "resume"):
        if args.selector:
            if any("/" in w for w in words):
                raise ActionError("give either objects by name or -l SELECTOR, not both")
            parse_kinds(words, None)
        else:
            parse_refs(words, ("Job", "CronJob"))
    elif args.action == "trigger":
        parse_one(words, "CronJob")
    elif args.action in ("retry-failed", "rerun"):
        parse_one(words, "Job")
    elif args.action == "delete":
        parse_delete_kinds(args.kind)
        if words:
            raise ActionError(
                "delete selects by label: use -l SELECTOR (and --kind jobs|cronjobs|all), not names"
            )
        if not (args.selector or "").strip() and not args.all:
            raise ActionError(
                "refusing to delete without a selector: select with -l SELECTOR, "
                "or pass --all to delete every one"
            )


def run(args: argparse.Namespace) -> int:
    check_args(args)
    client = _client(args)
    return COMMANDS[args.action](args, client, sys.stdout, sys.stderr)
