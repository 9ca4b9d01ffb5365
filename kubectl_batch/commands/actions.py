"""`kubectl batch suspend|resume|trigger|retry-failed|rerun|delete`: the TUI's actions as
subcommands, on the shared implementation in kube/actions/. Output and exit codes follow
kubectl: one line per object (``cronjob.batch/nightly suspended``), 0 when everything
succeeded, 1 when anything failed (each object's outcome is printed first)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from kubectl_batch.commands.command import (
    NOTHING,
    Command,
    add_dry_run,
    choices,
    completes,
    objects,
)

# Only argparse and command.py above: `--help` and the shell completion import this module
# to know the commands' arguments. What acts on the cluster is imported when a command runs.
if TYPE_CHECKING:
    from kubectl_batch.kube.actions import ActionResult, DeletePlan
    from kubectl_batch.kube.client import ApiClient

DRY_RUN_SUFFIX = " (server dry run)"  # kubectl's words for a dryRun=All request

# ---------------------------------------------------------------- argument parsing


def _error(text: str) -> Exception:
    from kubectl_batch.kube.actions import ActionError

    return ActionError(text)


def parse_refs(words: list[str], allowed: tuple[str, ...]) -> list[tuple[str, str]]:
    """``kind/NAME ...`` or ``kind NAME ...`` -> [(kind, name)]; kinds in kubectl's spellings.
    ``allowed`` are the kinds the command acts on."""
    from kubectl_batch.kube.actions.common import normalize_kind, target_of

    if not words:
        raise _error("no object given: name one as KIND/NAME, e.g. cronjob/nightly")
    refs: list[tuple[str, str]] = []
    if any("/" in w for w in words):
        for w in words:
            kind, slash, name = w.partition("/")
            if not slash:
                raise _error(
                    f'"{w}" has no kind: there is no need to give a kind separately '
                    "when passing arguments in KIND/NAME form"
                )
            if not name or "/" in name:
                raise _error(f'"{w}" is not of the form KIND/NAME')
            refs.append((normalize_kind(kind), name))
    else:
        kind, *names = words
        kind = normalize_kind(kind)
        if not names:
            raise _error(
                f"no {kind.lower()} name given: use {kind.lower()}/NAME, "
                f"{kind.lower()} NAME, or -l SELECTOR"
            )
        refs = [(kind, n) for n in names]
    for kind, name in refs:
        if kind not in allowed:
            what = " or ".join(k.lower() for k in allowed)
            raise _error(f"{target_of(kind, name)} is a {kind}: this command acts on a {what}")
    return refs


def parse_one(words: list[str], kind: str) -> str:
    """The single object of trigger/retry-failed/rerun: ``kind/NAME``, ``kind NAME`` or a
    bare NAME (the kind is implied)."""
    from kubectl_batch.kube.actions.common import is_kind

    if len(words) == 1 and "/" not in words[0] and not is_kind(words[0]):
        return words[0]
    refs = parse_refs(words, (kind,))
    if len(refs) != 1:
        raise _error(f"this command acts on one {kind.lower()}, {len(refs)} were given")
    return refs[0][1]


def parse_kinds(words: list[str], default: tuple[str, ...] | None) -> tuple[str, ...]:
    """The kinds before ``-l``: ``cronjobs``, ``jobs,cronjobs``, ``cj job``."""
    from kubectl_batch.kube.actions.common import normalize_kind

    kinds = [normalize_kind(k) for w in words for k in w.split(",") if k]
    if not kinds:
        if default is None:
            raise _error(
                "give the kind to select: e.g. `cronjobs -l SELECTOR` or `jobs,cronjobs -l ...`"
            )
        return default
    return tuple(dict.fromkeys(kinds))


def parse_delete_kinds(text: str) -> tuple[str, ...]:
    if text.strip().lower() == "all":
        return ("Job", "CronJob")
    return parse_kinds([text], None)


# ---------------------------------------------------------------------- commands


class Action(Command):
    """An action of the TUI as a subcommand: validated, then run with one API client.
    ``runner`` names its function below; validate() leaves what it parsed on ``args``."""

    runner = ""
    #: The attribute validate() sets: runners called without it (tests) validate first.
    parsed = "target_name"

    def defaults(self) -> dict[str, Any]:
        return {"action": self.name}

    def run(self, args: argparse.Namespace) -> int:
        runner = globals()[self.runner]
        return int(runner(args, _client(args), sys.stdout, sys.stderr))


def _validated(args: argparse.Namespace) -> argparse.Namespace:
    command = BY_ACTION[args.action]
    if not hasattr(args, command.parsed):
        command.validate(args)
    return args


class SetSuspend(Action):
    runner = "run_suspend"
    parsed = "refs"

    def __init__(self, name: str, summary: str, description: str) -> None:
        self.name, self.summary, self.description = name, summary, description
        self.usage = "(KIND/NAME ... | KIND NAME ... | KIND -l SELECTOR) [--dry-run] [flags]"
        self.examples = (
            (
                f"{name.capitalize()} a CronJob and a Job",
                f"kubectl batch {name} cronjob/nightly-backup job/render",
            ),
            (
                f"{name.capitalize()} two CronJobs",
                f"kubectl batch {name} cronjob nightly-backup weekly-report",
            ),
            (
                f"{name.capitalize()} the CronJobs labelled team=etl, checked by the server only",
                f"kubectl batch {name} cronjobs -l team=etl --dry-run=server",
            ),
        )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        completes(
            parser.add_argument(
                "objects",
                nargs="*",
                metavar="KIND/NAME",
                help="cronjob/NAME or job/NAME (or KIND NAME ...; or KIND with -l SELECTOR)",
            ),
            objects("CronJob", "Job"),
        )
        add_dry_run(parser)
        if self.name == "resume":
            parser.add_argument(
                "--force",
                action="store_true",
                help="resume a Job a queue (Kueue, spec.managedBy) holds, bypassing its quota",
            )

    def validate(self, args: argparse.Namespace) -> None:
        """-l SELECTOR with kinds, or objects by name: ``args.kinds`` or ``args.refs``."""
        args.kinds, args.refs = None, None
        if args.selector:
            if any("/" in w for w in args.objects):
                raise _error("give either objects by name or -l SELECTOR, not both")
            args.kinds = parse_kinds(args.objects, None)
        else:
            args.refs = parse_refs(args.objects, ("Job", "CronJob"))


class Trigger(Action):
    name = "trigger"
    summary = "run a CronJob now, exactly as `kubectl create job --from=cronjob/NAME`"
    description = (
        "Creates a Job from the CronJob's jobTemplate as `kubectl create job --from` does:\n"
        "the template's labels and annotations, annotation cronjob.kubernetes.io/instantiate:\n"
        "manual, a controller ownerReference to the CronJob. The Job is named --name, else\n"
        "<cronjob>-manual-<5 random characters>."
    )
    examples = (
        ("Run the CronJob nightly-backup now", "kubectl batch trigger cronjob/nightly-backup"),
        (
            "Run it as a Job named backup-now, checked by the server only",
            "kubectl batch trigger cronjob/nightly-backup --name backup-now --dry-run=server",
        ),
    )
    usage = "cronjob/NAME [--name JOBNAME] [--dry-run] [flags]"
    runner = "run_trigger"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        completes(
            parser.add_argument(
                "objects", nargs="+", metavar="cronjob/NAME", help="the CronJob to run"
            ),
            objects("CronJob"),
        )
        completes(
            parser.add_argument(
                "--name",
                dest="job_name",
                metavar="JOBNAME",
                help="name of the new Job (default <cronjob>-manual-<random>)",
            ),
            NOTHING,
        )
        add_dry_run(parser)

    def validate(self, args: argparse.Namespace) -> None:
        args.target_name = parse_one(args.objects, "CronJob")


class RetryFailed(Action):
    name = "retry-failed"
    summary = "re-run only the failed indexes of a finished Indexed Job"
    description = (
        "Creates one Job per failed (or never-succeeded) completion index of a finished\n"
        "Indexed Job. Each runs one pod with the original JOB_COMPLETION_INDEX (env, and the\n"
        "completion-index annotation and label) and the original template. The original Job\n"
        "is not modified. Lineage: label batch.kubectl-batch.io/retry-of=<job>, annotation\n"
        "batch.kubectl-batch.io/retry-indexes=<index>. Indexes already re-run successfully\n"
        "or being re-run by an earlier retry are skipped."
    )
    examples = (
        (
            "See which Jobs re-running the failed indexes of render-frames would create",
            "kubectl batch retry-failed job/render-frames --dry-run=server",
        ),
        (
            "Re-run them, up to 500 Jobs",
            "kubectl batch retry-failed job/render-frames --max-jobs 500",
        ),
    )
    usage = "job/NAME [--max-jobs N] [--dry-run] [flags]"
    runner = "run_retry_failed"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        completes(
            parser.add_argument("objects", nargs="+", metavar="job/NAME", help="the Indexed Job"),
            objects("Job"),
        )
        completes(
            parser.add_argument(
                "--max-jobs",
                type=int,
                default=100,
                metavar="N",
                help="refuse when more than N Jobs would be created (default 100)",
            ),
            NOTHING,
        )
        add_dry_run(parser)

    def validate(self, args: argparse.Namespace) -> None:
        args.target_name = parse_one(args.objects, "Job")
        if args.max_jobs < 1:
            raise _error("--max-jobs must be at least 1")


class Rerun(Action):
    name = "rerun"
    summary = "run a finished Job again as a whole, from its template"
    description = (
        "Creates a new Job (<job>-rerun-<random>) from the finished Job's spec, labelled\n"
        "batch.kubectl-batch.io/retry-of=<job>. The original Job is not modified."
    )
    examples = (
        ("Run the finished Job etl-2026-03-27 again", "kubectl batch rerun job/etl-2026-03-27"),
    )
    usage = "job/NAME [--dry-run] [flags]"
    runner = "run_rerun"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        completes(
            parser.add_argument("objects", nargs="+", metavar="job/NAME", help="the finished Job"),
            objects("Job"),
        )
        add_dry_run(parser)

    def validate(self, args: argparse.Namespace) -> None:
        args.target_name = parse_one(args.objects, "Job")


class Delete(Action):
    name = "delete"
    summary = "delete the Jobs (or CronJobs) matching a label selector, after a preview"
    description = (
        "Lists what matches -l (each object checked with a server-side dry-run delete) and how\n"
        "many pods go with it, asks for confirmation, then deletes each object with\n"
        "propagationPolicy Background (its pods go too) and a uid precondition: an object\n"
        "re-created under the same name after the preview is never deleted. Without a TTY,\n"
        "--yes is required. An empty selector never means everything: use --all."
    )
    examples = (
        (
            "Preview what deleting the Jobs of team=ml takes",
            "kubectl batch delete -l team=ml --dry-run",
        ),
        (
            "Delete the Jobs and CronJobs of team=ml without asking",
            "kubectl batch delete -l team=ml --kind all --yes",
        ),
    )
    usage = "-l SELECTOR [--kind jobs|cronjobs|all] [--yes] [--dry-run] [flags]"
    runner = "run_delete"
    parsed = "kinds"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("objects", nargs="*", help=argparse.SUPPRESS)
        completes(
            parser.add_argument(
                "--kind",
                default="jobs",
                metavar="jobs|cronjobs|all",
                help="what to delete (default jobs)",
            ),
            choices("jobs", "cronjobs", "all"),
        )
        parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
        parser.add_argument(
            "--all",
            action="store_true",
            help="with no selector: delete every one (in the namespace)",
        )
        add_dry_run(parser)

    def validate(self, args: argparse.Namespace) -> None:
        args.kinds = parse_delete_kinds(args.kind)
        if args.objects:
            raise _error(
                "delete selects by label: use -l SELECTOR (and --kind jobs|cronjobs|all), not names"
            )
        if not (args.selector or "").strip() and not args.all:
            raise _error(
                "refusing to delete without a selector: select with -l SELECTOR, "
                "or pass --all to delete every one"
            )


SUSPEND = SetSuspend(
    "suspend",
    "suspend CronJobs (no new runs) or Jobs (their running pods are terminated)",
    "Sets spec.suspend=true. A suspended CronJob starts no new Jobs (running ones go\n"
    "on); a suspended Job's running pods are terminated (not counted as failures) and\n"
    "start again on resume. Already suspended objects are left unchanged.",
)
RESUME = SetSuspend(
    "resume",
    "resume suspended CronJobs or Jobs",
    "Sets spec.suspend=false. A resumed CronJob without startingDeadlineSeconds runs\n"
    "its most recent missed schedule at once; a resumed Job starts its pods again and\n"
    "restarts its activeDeadlineSeconds.",
)
TRIGGER, RETRY_FAILED, RERUN, DELETE = Trigger(), RetryFailed(), Rerun(), Delete()
BY_ACTION: dict[str, Action] = {
    c.name: c for c in (SUSPEND, RESUME, TRIGGER, RETRY_FAILED, RERUN, DELETE)
}


# ------------------------------------------------------------------------ output


def result_line(result: ActionResult) -> str:
    from kubectl_batch.kube.actions import kubectl_ref

    line = f"{kubectl_ref(result.target)} {result.outcome}"
    return line + (DRY_RUN_SUFFIX if result.dry_run else "")


def _print_error(text: str, err: TextIO) -> None:
    print(f"error: {text}", file=err)


# ----------------------------------------------------------------------- runners


def _client(args: argparse.Namespace) -> ApiClient:
    from kubectl_batch.commands.connect import connect

    return connect(args)


def _scope(args: argparse.Namespace, client: ApiClient) -> str | None:
    from kubectl_batch.commands.connect import scope_namespace

    return scope_namespace(args, client)


def _finished_job_to_change(kind: str, obj: dict | None, suspend: bool) -> bool:
    from kubectl_batch.domain.jobs import is_job_finished

    if obj is None or kind != "Job" or not is_job_finished(obj):
        return False
    return ((obj.get("spec") or {}).get("suspend") is True) != suspend


def run_suspend(args: argparse.Namespace, client: ApiClient, out: TextIO, err: TextIO) -> int:
    from kubectl_batch.kube.actions import (
        ActionError,
        get_object,
        kubectl_ref,
        select_objects,
        set_suspend,
        suspend_warning,
    )
    from kubectl_batch.kube.actions.common import target_of

    args = _validated(args)
    suspend = args.action == "suspend"
    namespace = client.config.namespace
    if args.kinds:
        scope = _scope(args, client)
        found = select_objects(client, args.kinds, scope, args.selector)
        if not found:
            where = f"in namespace {namespace}" if scope else "in any namespace"
            plural = " or ".join(k.lower() + "s" for k in args.kinds)
            raise ActionError(f'no {plural} {where} match selector "{args.selector}"')
        todo: list[tuple[str, str, str, dict | None]] = [
            (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"], o) for o in found
        ]
    else:
        todo = [(kind, namespace, name, None) for kind, name in args.refs]
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
    from kubectl_batch.kube.actions import trigger_cronjob

    name = _validated(args).target_name
    result = trigger_cronjob(
        client, client.config.namespace, name, job_name=args.job_name, dry_run=args.dry_run
    )
    line = f"job.batch/{result.created} created (from cronjob/{name})"
    print(line + (DRY_RUN_SUFFIX if result.dry_run else ""), file=out)
    return 0


def run_retry_failed(args: argparse.Namespace, client: ApiClient, out: TextIO, err: TextIO) -> int:
    from kubectl_batch.domain.indexes import IndexSet
    from kubectl_batch.kube.actions import retry_failed_indexes

    name = _validated(args).target_name
    result = retry_failed_indexes(
        client, client.config.namespace, name, dry_run=args.dry_run, max_jobs=args.max_jobs
    )
    indexes = list(IndexSet.parse(result.indexes or ""))
    suffix = DRY_RUN_SUFFIX if result.dry_run else ""
    for index, created in zip(indexes, result.created_all, strict=False):
        print(f"job.batch/{created} created (index {index} of job/{name}){suffix}", file=out)
    return 0


def run_rerun(args: argparse.Namespace, client: ApiClient, out: TextIO, err: TextIO) -> int:
    from kubectl_batch.kube.actions import rerun_job

    name = _validated(args).target_name
    result = rerun_job(client, client.config.namespace, name, dry_run=args.dry_run)
    suffix = DRY_RUN_SUFFIX if result.dry_run else ""
    print(f"job.batch/{result.created} created (re-runs job/{name}){suffix}", file=out)
    return 0


def describe_plan(plan: DeletePlan) -> list[str]:
    """The preview: one line per object with what goes with it."""
    from kubectl_batch.kube.actions import kubectl_ref

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
    from kubectl_batch.kube.actions import ActionError, execute_delete, kubectl_ref, plan_delete

    stdin = stdin or sys.stdin
    kinds = _validated(args).kinds
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
