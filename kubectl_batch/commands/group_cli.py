"""The command line of Job groups: `expand`, `logs` and the UI's `--group-by`. Kept here
(argparse only, no other import) so cli.py registers them in one call."""

from __future__ import annotations

import argparse
from collections.abc import Callable

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
name is never touched.

examples:
  kubectl batch expand -f job-tmpl.yaml --items apple,banana,cherry
  kubectl batch expand -f job-tmpl.yaml --range 0-99 --dry-run=server
  kubectl batch expand -f job-tmpl.yaml --items-file items.txt --group-label run=2026-12-02
  kubectl batch expand -f job-tmpl.yaml --items apple,banana --watch"""

LOGS_HELP = """\
Prints the logs of a Job's pods, or of every Job a selector matches, like kubectl logs -f -l,
but it follows pods that start after it began (new attempts, new indexes, new Jobs of the
group) and is not capped at five streams (--max-log-requests to cap it). Lines of several
pods are prefixed with job/NAME[INDEX] (a non-indexed Job's pod: job/NAME/POD-SUFFIX).
By default, only the latest attempt of each index (each Job, for a non-indexed Job) is
shown; --all-pods shows every pod. Ctrl-C ends it (exit code 130).

examples:
  kubectl batch logs job/render -f
  kubectl batch logs job/render --index 7 --previous
  kubectl batch logs -l jobgroup=jobexample -f --since 10m"""


def add_group_commands(
    command: Callable[..., argparse.ArgumentParser], root: argparse.ArgumentParser
) -> None:
    """``command(name, help, description)`` makes a subcommand parser (cli.py's)."""
    root.add_argument(
        "--group-by",
        metavar="KEY",
        default=None,
        help="open the UI with the Jobs grouped by this label key (G in the UI)",
    )
    ex = command("expand", "create one Job per item from a Job template ($ITEM)", EXPAND_HELP)
    ex.add_argument("-f", "--filename", metavar="FILE", help="the Job template (- for stdin)")
    ex.add_argument("--items", metavar="A,B,C", help="the items, comma separated")
    ex.add_argument("--items-file", metavar="FILE", help="the items, one per line (- for stdin)")
    ex.add_argument("--range", metavar="FIRST-LAST", help="the items FIRST..LAST, e.g. 0-99")
    ex.add_argument(
        "--group-label",
        metavar="KEY=VALUE",
        help="the label tying the Jobs (default jobgroup=<template name without $ITEM>)",
    )
    ex.add_argument(
        "--normalize",
        action="store_true",
        help="make items valid in a Job name (lower case, '-') instead of refusing them",
    )
    ex.add_argument(
        "--rate", type=float, default=20.0, metavar="N", help="creates per second (default 20)"
    )
    ex.add_argument(
        "--max-in-flight",
        type=int,
        default=8,
        metavar="N",
        help="create requests at once at most (default 8)",
    )
    ex.add_argument(
        "--dry-run",
        action="store_true",
        help="have the API server check every Job without creating any (dryRun=All); "
        "kubectl's --dry-run=server works too",
    )
    ex.add_argument("--watch", action="store_true", help="then open the UI on the new group")
    ex.set_defaults(handler="kubectl_batch.commands.expand")

    lg = command("logs", "logs of a Job's pods, or of every Job a selector matches", LOGS_HELP)
    lg.add_argument("objects", nargs="*", metavar="job/NAME", help="the Job (or -l SELECTOR)")
    lg.add_argument("--index", type=int, metavar="N", help="only this completion index")
    lg.add_argument("-f", "--follow", action="store_true", help="stream new lines, new pods")
    lg.add_argument("-p", "--previous", action="store_true", help="the previous container")
    lg.add_argument("-c", "--container", metavar="NAME", help="the container (default: first)")
    lg.add_argument("--timestamps", action="store_true", help="prefix each line with its time")
    lg.add_argument("--since", metavar="DURATION", help="only newer lines, e.g. 10m, 1h")
    lg.add_argument("--tail", type=int, default=-1, metavar="N", help="lines of each pod's tail")
    lg.add_argument(
        "--prefix",
        action="store_true",
        help="prefix each line with its job (and index); always on with -l",
    )
    lg.add_argument("--all-pods", action="store_true", help="every pod, not the latest attempts")
    lg.add_argument(
        "--max-log-requests",
        type=int,
        default=0,
        metavar="N",
        help="streams at once at most (default 0: no limit)",
    )
    lg.set_defaults(handler="kubectl_batch.commands.logs")
