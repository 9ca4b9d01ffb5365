"""Command line: `kubectl batch [COMMAND] [flags]`, with kubectl's flag names and exit codes.

Each subcommand is a Command (kubectl_batch/commands/command.py) that owns its arguments;
this module only wires them: kubectl's global flags, parse, then the command's validate()
and run(). Only argparse and the commands' light modules are imported at start-up; each
command imports what it needs when it runs, so `next-runs` in a watch loop does not pay
for Textual.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from kubectl_batch import __version__
from kubectl_batch.commands.command import (
    CONTEXTS,
    FILES,
    LABELS,
    NAMESPACES,
    NOTHING,
    Command,
    UsageError,
    completes,
    examples_text,
)

COMPLETE = "__complete"  # the hidden command of the completion scripts, as cobra's

PROG = "kubectl batch"

#: Every subcommand, in the order `kubectl batch --help` lists them: "module:OBJECT", a
#: Command (kubectl_batch/commands/command.py says how to write one). One line adds one.
#: Each subcommand's name and where its Command is (only the one named is imported to run).
COMMANDS = {
    "next-runs": "kubectl_batch.commands.next_runs:COMMAND",
    "why": "kubectl_batch.commands.why:COMMAND",
    "suspend": "kubectl_batch.commands.actions:SUSPEND",
    "resume": "kubectl_batch.commands.actions:RESUME",
    "trigger": "kubectl_batch.commands.actions:TRIGGER",
    "retry-failed": "kubectl_batch.commands.actions:RETRY_FAILED",
    "rerun": "kubectl_batch.commands.actions:RERUN",
    "delete": "kubectl_batch.commands.actions:DELETE",
    "record": "kubectl_batch.commands.record:COMMAND",
    "completion": "kubectl_batch.commands.completion:COMMAND",
    "expand": "kubectl_batch.commands.expand:COMMAND",
    "logs": "kubectl_batch.commands.logs:COMMAND",
}
#: Without a subcommand: the terminal UI.
DEFAULT = "kubectl_batch.commands.ui:COMMAND"

DESCRIPTION = """\
Jobs and CronJobs, live. Without a command, opens the terminal UI for the Jobs and
CronJobs of the current namespace (or -n NS, -A, -l SELECTOR)."""

EXAMPLES: tuple[tuple[str, str], ...] = (
    ("The UI, all namespaces", "kubectl batch -A"),
    ("The UI on the demo recording shipped with it (no cluster needed)", "kubectl batch --demo"),
    ("The UI in a theme for light terminals (remembered)", "kubectl batch --theme textual-light"),
    ("Next fire times of the CronJobs of namespace etl", "kubectl batch next-runs -n etl"),
    ("Suspend a CronJob", "kubectl batch suspend cronjob/nightly-backup"),
    ("Run a CronJob now", "kubectl batch trigger cronjob/nightly-backup"),
    ("Re-run the failed indexes of an Indexed Job", "kubectl batch retry-failed job/render-frames"),
    ("Preview deleting the Jobs of team=ml", "kubectl batch delete -l team=ml --dry-run"),
    ("Shell completion for bash", "source <(kubectl batch completion bash)"),
)

MORE = 'Use "kubectl batch COMMAND --help" for more about a command.'


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
    completes(
        g.add_argument(
            "--kubeconfig",
            metavar="PATH",
            default=d(None),
            help="path to the kubeconfig file to use",
        ),
        FILES,
    )
    completes(
        g.add_argument(
            "--context", metavar="NAME", default=d(None), help="the kubeconfig context to use"
        ),
        CONTEXTS,
    )
    completes(
        g.add_argument(
            "-n",
            "--namespace",
            metavar="NS",
            default=d(None),
            help="namespace scope (default: the context's namespace)",
        ),
        NAMESPACES,
    )
    g.add_argument(
        "-A", "--all-namespaces", action="store_true", default=d(False), help="all namespaces"
    )
    completes(
        g.add_argument(
            "-l",
            "--selector",
            metavar="SELECTOR",
            default=d(None),
            help="label selector, e.g. -l 'team=ml,tier!=dev'",
        ),
        LABELS,
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
        action = c.add_argument(*flags, dest=dest, metavar=metavar, default=d(None), help=help_text)
        completes(action, FILES if metavar == "PATH" else NOTHING)
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


def load(ref: str) -> Command:
    """The Command a COMMANDS entry names (its module is imported)."""
    module, _, name = ref.partition(":")
    command: Command = getattr(importlib.import_module(module), name)
    return command


def build_parser(argv: Sequence[str] | None = None) -> Parser:
    """The top parser (kubectl's flags and the UI's) and one subparser per command in
    COMMANDS, each holding its Command as ``command`` (and, as before, ``handler``: its
    module) on the parsed arguments.

    Given the ``argv`` to parse, only the commands it names are imported and given their
    flags (unless it asks for help, which lists them all): the others cannot be chosen, and
    importing them all cost `kubectl batch` 20 ms before its first request."""
    named = None if argv is None or {"-h", "--help"} & set(argv) else set(argv)
    ui = load(DEFAULT)
    parser = Parser(
        prog=PROG,
        usage=f"{PROG} [--theme NAME] [flags]\n       {PROG} COMMAND [flags]",
        description=DESCRIPTION,
        epilog=f"{examples_text(EXAMPLES)}\n\n{MORE}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(  # first: the commands are listed before the flags
        title="commands", dest="command_name", metavar="COMMAND", parser_class=Parser
    )
    parser.add_argument("--version", action="version", version=f"kubectl-batch {__version__}")
    ui.add_arguments(parser)
    _global_flags(parser, suppress=False)
    parser.set_defaults(command=ui, handler=type(ui).__module__)
    for name, ref in COMMANDS.items():
        if named is not None and name not in named:
            subparsers.add_parser(name)  # its name alone: argv does not choose it
            continue
        command = load(ref)
        sub = subparsers.add_parser(
            command.name,
            prog=f"{PROG} {command.name}",  # not derived from the top parser's two-line usage
            usage=f"{PROG} {command.name} {command.usage}",
            help=command.summary,
            description=command.description or command.summary,
            epilog=examples_text(command.examples) or None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_arguments(sub)
        _global_flags(sub, suppress=True)
        sub.set_defaults(command=command, handler=type(command).__module__, **command.defaults())
    return parser


def _subparser(parser: Parser, name: str) -> Parser:
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        if isinstance(action, argparse._SubParsersAction):
            sub: Parser = action.choices[name]
            return sub
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == [COMPLETE]:
            from kubectl_batch.commands.complete import main as complete

            return complete(argv[1:])
        parser = build_parser(argv)
        args, extra = parser.parse_known_args(argv)
        command: Command = args.command
        if extra:  # argparse's top parser would tell them, pointing at the top help
            where = parser if not command.name else _subparser(parser, command.name)
            where.error(f"unrecognized arguments: {' '.join(extra)}")
        command.validate(args)
        return command.run(args)
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
        from kubectl_batch.kube.errors import describe

        print(f"error: {describe(exc)}", file=sys.stderr)
        return 1
