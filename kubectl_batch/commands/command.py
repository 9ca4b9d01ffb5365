"""A subcommand of `kubectl batch`: one object that owns its arguments and runs as kubectl's
commands do, complete -> validate -> run.

Adding a subcommand takes a module and one line. The module, in kubectl_batch/commands/::

    class Why(Command):
        name = "why"
        summary = "why a Job is where it is"              # one line, in `kubectl batch --help`
        usage = "job/NAME [flags]"                        # the usage line after `kubectl batch why`
        description = "Explains ..."                      # the top of `kubectl batch why --help`
        examples = (("Why render-frames has not finished", "kubectl batch why job/render-frames"),)

        def add_arguments(self, parser):                  # its own flags and positionals only
            completes(parser.add_argument("objects", nargs=1, metavar="job/NAME"), objects("Job"))

        def validate(self, args):                         # every argument mistake, before any
            args.job = ...                                # connection; keep what you parsed on args

        def run(self, args):                              # import the heavy parts here
            from kubectl_batch.commands.why_run import run
            return run(args)

    COMMAND = Why()

and the line ``"why": "kubectl_batch.commands.why:COMMAND",`` in ``COMMANDS`` of
kubectl_batch/cli.py.
kubectl's global flags (--kubeconfig, -n, -l, ...) come with every command.

Keep the module cheap to import: argparse, the standard library and domain/ at most at its
top; kube/ and tui/ inside validate() and run(). `--help` and the shell completion
(kubectl_batch/commands/complete.py) import every command module, and
tests/unit/test_cli_commands.py fails when that pulls in kube/, urllib3, yaml or Textual.

Completion: ``completes(action, what)`` says what the value of an argument is (namespaces,
contexts, label keys, Job or CronJob names, files); choices complete by themselves.
"""

from __future__ import annotations

import argparse
from typing import Any


class UsageError(Exception):
    """An argument mistake: told as one line ``error: ...``, exit code 1."""


# What an argument's value is, for the completion (commands/complete.py reads it).
COMPLETES = "kubectl_batch_completes"
NAMESPACES = "namespaces"
CONTEXTS = "contexts"
LABELS = "labels"
FILES = "files"
NOTHING = "nothing"  # a free value (a name to create, a number): no candidates, no files


def objects(*kinds: str) -> str:
    """Objects of these kinds (``CronJob``, ``Job``), as ``kind/NAME`` or ``kind NAME``."""
    return "objects:" + ",".join(kinds)


def choices(*values: str) -> str:
    """One of these words (for a flag whose metavar tells them, without argparse choices)."""
    return "choices:" + ",".join(values)


def completes(action: argparse.Action, what: str, values: tuple[str, ...] = ()) -> argparse.Action:
    """Mark what ``action``'s value is; ``values`` are the ``--flag=VALUE`` spellings of a
    flag that otherwise takes none (kubectl's ``--dry-run=server``)."""
    setattr(action, COMPLETES, what)
    if values:
        action.kubectl_values = values  # type: ignore[attr-defined]
    return action


class Command:
    """One subcommand. Subclasses set the class attributes and override what they need."""

    name: str = ""
    summary: str = ""
    description: str = ""
    #: The usage line after ``kubectl batch NAME`` (kubectl's global flags go unsaid).
    usage: str = "[flags]"
    #: (what it does, the command line): rendered as kubectl renders its examples.
    examples: tuple[tuple[str, str], ...] = ()

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Register this command's own arguments on its parser."""

    def validate(self, args: argparse.Namespace) -> None:
        """Raise UsageError (or ValueError) for any argument mistake; nothing here connects."""

    def run(self, args: argparse.Namespace) -> int:
        raise NotImplementedError

    def defaults(self) -> dict[str, Any]:
        """Values set on the parsed arguments of this command (the runners read some)."""
        return {}


#: kubectl's values of --dry-run that kubectl batch takes (``client`` it refuses, saying why).
DRY_RUN_VALUES = ("server", "none")


def add_dry_run(parser: argparse.ArgumentParser) -> None:
    completes(
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="ask the API server to check the request without persisting it (dryRun=All); "
            "kubectl's --dry-run=server and --dry-run=none work too",
        ),
        NOTHING,
        values=DRY_RUN_VALUES,
    )


def examples_text(examples: tuple[tuple[str, str], ...]) -> str:
    """kubectl's layout: ``Examples:``, then a ``# comment`` line above each command."""
    if not examples:
        return ""
    lines = ["Examples:"]
    for i, (what, line) in enumerate(examples):
        lines += ([""] if i else []) + [f"  # {what}", f"  {line}"]
    return "\n".join(lines)
