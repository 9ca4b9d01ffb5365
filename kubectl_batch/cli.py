"""Command line: `kubectl batch [COMMAND] [flags]`, with kubectl's flag names and exit codes.

Only argparse is imported at start-up; each command imports what it needs when it runs, so
`next-runs` in a watch loop does not pay for Textual.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from kubectl_batch import __version__

PROG = "kubectl batch"

DESCRIPTION = """\
Jobs and CronJobs, live. Without a command, opens the terminal UI for the Jobs and
CronJobs of the current namespace (or -n NS, -A, -l SELECTOR)."""

EPILOG = """\
examples:
  kubectl batch -A                                   # the UI, all namespaces
  kubectl batch next-runs -n etl                     # next fire times of CronJobs
  kubectl batch next-runs --schedule "0 9 * * 1-5" --time-zone Europe/Berlin
  kubectl batch suspend cronjob/nightly-backup
  kubectl batch trigger cronjob/nightly-backup
  kubectl batch retry-failed job/render-frames
  kubectl batch delete -l team=ml --kind jobs --dry-run

Use "kubectl batch COMMAND --help" for more about a command."""


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """argparse that reports errors the way kubectl does: `error: ...`, exit code 1, and
    takes kubectl's ``--dry-run=server|none`` spellings of the ``--dry-run`` flag."""

    def error(self, message: str) -> NoReturn:  # noqa: D401 - argparse's name
        raise UsageError(f"{message}\nSee '{self.prog} --help' for usage.")

    def parse_known_args(  # type: ignore[override]  # one signature for typeshed's overloads
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if args is not None:
            args = _kubectl_dry_run(list(args))
        return super().parse_known_args(args, namespace)


INSECURE = "--insecure-skip-tls-verify"


def _kubectl_dry_run(argv: list[str]) -> list[str]:
    """``--dry-run=server`` as the bare ``--dry-run`` flag, ``--dry-run=none`` as no flag
    (kubectl's values; a bare flag never takes the next word as its value, as in kubectl);
    ``--insecure-skip-tls-verify=true|false`` likewise."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--":
            return out + argv[i:]
        if arg.startswith(INSECURE + "="):
            # kubectl's boolean flag takes =true/=false.
            value = arg.partition("=")[2].lower()
            if value not in ("true", "false", "1", "0", "t", "f"):
                raise UsageError(f'invalid argument "{value}" for "{INSECURE}" flag')
            out += [INSECURE] if value in ("true", "1", "t") else []
            continue
        if not arg.startswith("--dry-run="):
            out.append(arg)
            continue
        value = arg.partition("=")[2]
        if value == "server":
            out.append("--dry-run")
        elif value == "client":
            raise UsageError(
                "--dry-run=client is not supported: kubectl batch's dry runs are checked by "
                "the API server without persisting anything; use --dry-run=server"
            )
        elif value != "none":
            raise UsageError(f'invalid --dry-run value "{value}": use server or none')
    return out


def _global_flags(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """kubectl's global flags; on subcommands they default to SUPPRESS so a value given
    before the command name is not overwritten."""
    d = (lambda v: argparse.SUPPRESS) if suppress else (lambda v: v)
    g = parser.add_argument_group("kubectl flags")
    g.add_argument(
        "--kubeconfig", metavar="PATH", default=d(None), help="path to the kubeconfig file to use"
    )
    g.add_argument(
        "--context", metavar="NAME", default=d(None), help="the kubeconfig context to use"
    )
    g.add_argument(
        "-n",
        "--namespace",
        metavar="NS",
        default=d(None),
        help="namespace scope (default: the context's namespace)",
    )
    g.add_argument(
        "-A", "--all-namespaces", action="store_true", default=d(False), help="all namespaces"
    )
    g.add_argument(
        "-l",
        "--selector",
        metavar="SELECTOR",
        default=d(None),
        help="label selector, e.g. -l 'team=ml,tier!=dev'",
    )
    g.add_argument(
        "--request-timeout",
        metavar="DURATION",
        default=d(None),
        help='time to wait for one API request, e.g. 30s ("0": no limit)',
    )
    c = parser.add_argument_group("kubectl connection flags (each beats the kubeconfig)")
    for flags, metavar, help_text in (
        (("-s", "--server"), "URL", "the address and port of the Kubernetes API server"),
        (("--token",), "TOKEN", "bearer token for authentication to the API server"),
        (("--user",), "NAME", "the kubeconfig user to use"),
        (("--cluster",), "NAME", "the kubeconfig cluster to use"),
        (("--certificate-authority",), "PATH", "path to a cert file for the certificate authority"),
        (("--client-certificate",), "PATH", "path to a client certificate file for TLS"),
        (("--client-key",), "PATH", "path to a client key file for TLS"),
        (("--tls-server-name",), "NAME", "server name to use for server certificate validation"),
        (("--as",), "USER", "username to impersonate for the operation"),
        (("--as-uid",), "UID", "UID to impersonate for the operation"),
    ):
        dest = flags[-1][2:].replace("-", "_")
        c.add_argument(*flags, dest=dest, metavar=metavar, default=d(None), help=help_text)
    c.add_argument(
        "--as-group",
        dest="as_group",
        action="append",
        metavar="GROUP",
        default=d(None),
        help="group to impersonate for the operation (repeat for several groups)",
    )
    c.add_argument(
        "--insecure-skip-tls-verify",
        action="store_true",
        default=d(False),
        help="do not check the server's certificate (insecure)",
    )


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kubectl-batch {__version__}")
    _global_flags(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def command(name: str, help: str, description: str | None = None) -> Parser:
        sub = commands.add_parser(
            name,
            help=help,
            description=description or help,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _global_flags(sub, suppress=True)
        return sub

    nr = command(
        "next-runs",
        "next fire times of CronJobs, exactly as the CronJob controller will fire them",
        "Prints the next fire times of CronJobs (or of --schedule, offline), computed with the\n"
        "CronJob controller's own rules: robfig/cron syntax, spec.timeZone, its anchor\n"
        "(last schedule time, else creation time), startingDeadlineSeconds, concurrency policy.\n"
        "CronJobs without spec.timeZone use the controller manager's zone: UTC is assumed.",
    )
    nr.add_argument("names", nargs="*", metavar="NAME", help="CronJob names (default: all)")
    nr.add_argument(
        "--count", type=int, default=3, metavar="N", help="how many fire times to list (default 3)"
    )
    nr.add_argument(
        "-o", "--output", choices=("wide", "json", "yaml"), help="output format: wide, json or yaml"
    )
    nr.add_argument(
        "--schedule", metavar="EXPR", help="a schedule to compute offline, without a cluster"
    )
    nr.add_argument(
        "--time-zone", metavar="ZONE", help="IANA time zone of --schedule (default UTC)"
    )
    nr.add_argument(
        "--after", metavar="TIME", help="RFC 3339 instant to compute from instead of now"
    )
    nr.set_defaults(handler="kubectl_batch.commands.next_runs")

    # Actions: the TUI's, as subcommands (kubectl_batch/kube/actions/ does the work).
    actions = "kubectl_batch.commands.actions"

    def dry_run(sub: Parser) -> None:
        sub.add_argument(
            "--dry-run",
            action="store_true",
            help="ask the API server to check the request without persisting it (dryRun=All); "
            "kubectl's --dry-run=server and --dry-run=none work too",
        )

    for verb, help_text, more in (
        (
            "suspend",
            "suspend CronJobs (no new runs) or Jobs (their running pods are terminated)",
            "Sets spec.suspend=true. A suspended CronJob starts no new Jobs (running ones go\n"
            "on); a suspended Job's running pods are terminated (not counted as failures) and\n"
            "start again on resume. Already suspended objects are left unchanged.",
        ),
        (
            "resume",
            "resume suspended CronJobs or Jobs",
            "Sets spec.suspend=false. A resumed CronJob without startingDeadlineSeconds runs\n"
            "its most recent missed schedule at once; a resumed Job starts its pods again and\n"
            "restarts its activeDeadlineSeconds.",
        ),
    ):
        sub = command(
            verb,
            help_text,
            f"{more}\n\nexamples:\n"
            f"  kubectl batch {verb} cronjob/nightly-backup job/render\n"
            f"  kubectl batch {verb} cronjob nightly-backup weekly-report\n"
            f"  kubectl batch {verb} cronjobs -l team=etl",
        )
        sub.add_argument(
            "objects",
            nargs="*",
            metavar="KIND/NAME",
            help="cronjob/NAME or job/NAME (or KIND NAME ...; or KIND with -l SELECTOR)",
        )
        dry_run(sub)
        sub.set_defaults(handler=actions, action=verb)

    tr = command(
        "trigger",
        "run a CronJob now, exactly as `kubectl create job --from=cronjob/NAME`",
        "Creates a Job from the CronJob's jobTemplate as `kubectl create job --from` does:\n"
        "the template's labels and annotations, annotation cronjob.kubernetes.io/instantiate:\n"
        "manual, a controller ownerReference to the CronJob. The Job is named --name, else\n"
        "<cronjob>-manual-<5 random characters>.",
    )
    tr.add_argument("objects", nargs="+", metavar="cronjob/NAME", help="the CronJob to run")
    tr.add_argument(
        "--name",
        dest="job_name",
        metavar="JOBNAME",
        help="name of the new Job (default <cronjob>-manual-<random>)",
    )
    dry_run(tr)
    tr.set_defaults(handler=actions, action="trigger")

    rf = command(
        "retry-failed",
        "re-run only the failed indexes of a finished Indexed Job",
        "Creates one Job per failed (or never-succeeded) completion index of a finished\n"
        "Indexed Job. Each runs one pod with the original JOB_COMPLETION_INDEX (env, and the\n"
        "completion-index annotation and label) and the original template. The original Job\n"
        "is not modified. Lineage: label batch.kubectl-batch.io/retry-of=<job>, annotation\n"
        "batch.kubectl-batch.io/retry-indexes=<index>. Indexes already re-run successfully\n"
        "or being re-run by an earlier retry are skipped.",
    )
    rf.add_argument("objects", nargs="+", metavar="job/NAME", help="the Indexed Job")
    rf.add_argument(
        "--max-jobs",
        type=int,
        default=100,
        metavar="N",
        help="refuse when more than N Jobs would be created (default 100)",
    )
    dry_run(rf)
    rf.set_defaults(handler=actions, action="retry-failed")

    rr = command(
        "rerun",
        "run a finished Job again as a whole, from its template",
        "Creates a new Job (<job>-rerun-<random>) from the finished Job's spec, labelled\n"
        "batch.kubectl-batch.io/retry-of=<job>. The original Job is not modified.",
    )
    rr.add_argument("objects", nargs="+", metavar="job/NAME", help="the finished Job")
    dry_run(rr)
    rr.set_defaults(handler=actions, action="rerun")

    de = command(
        "delete",
        "delete the Jobs (or CronJobs) matching a label selector, after a preview",
        "Lists what matches -l (each object checked with a server-side dry-run delete) and how\n"
        "many pods go with it, asks for confirmation, then deletes each object with\n"
        "propagationPolicy Background (its pods go too) and a uid precondition: an object\n"
        "re-created under the same name after the preview is never deleted. Without a TTY,\n"
        "--yes is required. An empty selector never means everything: use --all.\n\n"
        "examples:\n"
        "  kubectl batch delete -l team=ml --dry-run\n"
        "  kubectl batch delete -l team=ml --kind all --yes",
    )
    de.add_argument("objects", nargs="*", help=argparse.SUPPRESS)
    de.add_argument(
        "--kind",
        default="jobs",
        metavar="jobs|cronjobs|all",
        help="what to delete (default jobs)",
    )
    de.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    de.add_argument(
        "--all", action="store_true", help="with no selector: delete every one (in the namespace)"
    )
    dry_run(de)
    de.set_defaults(handler=actions, action="delete")

    from kubectl_batch.commands.group_cli import add_group_commands  # expand, logs, --group-by

    add_group_commands(command, parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        handler = getattr(args, "handler", "kubectl_batch.commands.ui")
        module = __import__(handler, fromlist=["run"])
        return module.run(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `kubectl batch next-runs | head`: the reader left; not an error of ours.
        sys.stderr.close()
        return 0
    except Exception as exc:  # noqa: BLE001 - every failure is one sentence, never a traceback
        import os

        if os.environ.get("KUBECTL_BATCH_DEBUG"):
            raise
        from kubectl_batch.commands.errors import describe

        print(f"error: {describe(exc)}", file=sys.stderr)
        return 1
