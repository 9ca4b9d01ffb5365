"""Shell completion, in cobra's ``__complete`` protocol.

kubectl (1.26+) completes ``kubectl batch <TAB>`` by running ``kubectl_complete-batch ARGS...
PARTIAL`` (the words after the plugin name, then the word being completed); the scripts of
``kubectl batch completion SHELL`` run ``kubectl-batch __complete ARGS... PARTIAL``. Both land
in :func:`main`, which prints one candidate a line (``candidate<TAB>description``) and a last
line ``:DIRECTIVE`` (cobra's ShellCompDirective bits, below).

What is offered comes from the commands' own parsers (cli.build_parser): subcommands, flags,
choices, and what ``command.completes()`` marked; names come from the cluster of the flags
already typed (--kubeconfig, --context, -n, ...), through kube/ as every command connects.
A completion must never hang a shell nor print errors into it: the cluster gets
:data:`BUDGET` seconds in all, and any failure means no names. Nothing here imports Textual.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from kubectl_batch.commands import command as c

if TYPE_CHECKING:
    from kubectl_batch.kube.client import ApiClient

# cobra's ShellCompDirective
DEFAULT = 0  # the shell may complete file names too
ERROR = 1
NO_SPACE = 2
NO_FILE_COMP = 4

#: Seconds the cluster may take for one completion, connection and credentials included.
BUDGET = 2.0

T = TypeVar("T")
Candidate = tuple[str, str]  # (word, description)


class Completion:
    """The candidates and directive of one completion."""

    def __init__(self, candidates: Iterable[Candidate] = (), directive: int = NO_FILE_COMP):
        self.candidates = list(candidates)
        self.directive = directive

    def lines(self) -> list[str]:
        out = [f"{w}\t{d}" if d else w for w, d in self.candidates]
        return [*out, f":{self.directive}"]


def main(argv: Sequence[str] | None = None) -> int:
    """``kubectl_complete-batch ARGS... PARTIAL``: print the completion, exit 0."""
    words = list(sys.argv[1:] if argv is None else argv)
    # Never a prompt in the middle of the user's line: credential plugins see no terminal
    # (an interactive-only one then fails, and there are no names).
    sys.stdin = open(os.devnull)  # noqa: SIM115 - for the life of this short process
    try:
        result = complete(words)
    except Exception:  # noqa: BLE001 - a completion never prints a traceback into a shell
        if os.environ.get("KUBECTL_BATCH_DEBUG"):
            raise
        result = Completion(directive=ERROR)
    sys.stdout.write("\n".join(result.lines()) + "\n")
    sys.stdout.flush()
    return 0


def entry() -> None:
    """The ``kubectl_complete-batch`` console script: exits as soon as it has answered,
    even if a cluster look-up that ran out of time is still waiting on a socket."""
    code = main()
    sys.stderr.flush()
    os._exit(code)


# ------------------------------------------------------------------ reading the line


class Line:
    """The words before the one being completed, read with the parsers' option tables."""

    def __init__(self, root: argparse.ArgumentParser, words: list[str]) -> None:
        self.root = root
        self.subparsers = _subparsers(root)
        self.parser = root
        self.command = ""
        self.values: dict[str, Any] = {}  # dest -> value of the flags typed
        self.positionals: list[str] = []
        self.pending: argparse.Action | None = None  # a flag still waiting for its value
        only_positionals = False
        for word in words:
            if self.pending is not None:
                self._set(self.pending, word)
                self.pending = None
            elif only_positionals or word == "-" or not word.startswith("-"):
                if self.parser is root and not self.command and word in self.subparsers:
                    self.command, self.parser = word, self.subparsers[word]
                else:
                    self.positionals.append(word)
            elif word == "--":
                only_positionals = True
            else:
                self._flag(word)

    def option(self, text: str) -> argparse.Action | None:
        return self.parser._option_string_actions.get(text)

    def _flag(self, word: str) -> None:
        name, eq, value = word.partition("=")
        if not word.startswith("--") and not eq and len(word) > 2:
            name, value, eq = word[:2], word[2:], "="  # -netl
        action = self.option(name)
        if action is None:
            return
        if not takes_value(action):
            self.values[action.dest] = True
        elif eq:
            self._set(action, value)
        else:
            self.pending = action

    def _set(self, action: argparse.Action, value: str) -> None:
        if isinstance(action, argparse._AppendAction):
            self.values.setdefault(action.dest, []).append(value)
        else:
            self.values[action.dest] = value

    def flags_namespace(self) -> argparse.Namespace:
        """kubectl's flags as typed, in the shape commands/connect.py reads."""
        base = {
            "kubeconfig": None,
            "context": None,
            "namespace": None,
            "request_timeout": None,
            "all_namespaces": False,
            "selector": None,
        }
        return argparse.Namespace(**{**base, **self.values})


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def takes_value(action: argparse.Action) -> bool:
    return action.nargs != 0


def _help(action: argparse.Action | None) -> str:
    """The description shown beside a candidate: its help up to the first ``;``."""
    text = (action.help or "") if action else ""
    return "" if text == argparse.SUPPRESS else " ".join(text.split("; ")[0].split())


# ------------------------------------------------------------------------ completing


def complete(words: list[str], budget: float = BUDGET) -> Completion:
    """The completion of ``words[-1]`` after ``words[:-1]``."""
    from kubectl_batch.cli import build_parser

    *done, partial = words or [""]
    partial = "" if partial == '""' else partial  # from the powershell script
    line = Line(build_parser(), [w for w in done if w])
    cluster = Cluster(line.flags_namespace(), budget)
    if line.pending is not None:
        return value_of(line, line.pending, partial, cluster)
    if partial.startswith("--") and "=" in partial:
        name, _, value = partial.partition("=")
        action = line.option(name)
        if action is None:
            return Completion()
        done_value = value_of(line, action, value, cluster)
        done_value.candidates = [(f"{name}={w}", d) for w, d in done_value.candidates]
        return done_value
    if partial.startswith("-"):
        return flags(line, partial)
    if line.parser is line.root and not line.command:
        return Completion(
            (name, _help(_choice_action(line.root, name)))
            for name in line.subparsers
            if name.startswith(partial)
        )
    positional = next((a for a in line.parser._actions if not a.option_strings), None)
    if positional is None or positional.help == argparse.SUPPRESS:
        return Completion()
    return value_of(line, positional, partial, cluster)


def _choice_action(parser: argparse.ArgumentParser, name: str) -> argparse.Action | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.dest == name:
                    return choice
    return None


def flags(line: Line, partial: str) -> Completion:
    """The flags of the command being typed: long ones, and short ones after a lone ``-``."""
    out: list[Candidate] = []
    for action in line.parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        for text in action.option_strings:
            if text.startswith(partial) and (text.startswith("--") or partial == "-"):
                out.append((text, _help(action)))
    return Completion(out)


def value_of(line: Line, action: argparse.Action, partial: str, cluster: Cluster) -> Completion:
    what = getattr(action, c.COMPLETES, None)
    if not takes_value(action):  # --dry-run=...
        values = getattr(action, "kubectl_values", ())
        return Completion((v, "") for v in values if v.startswith(partial))
    if action.choices is not None and not isinstance(action, argparse._SubParsersAction):
        return _words(action.choices, partial)
    if what is None or what == c.NOTHING:
        return Completion()
    if what == c.FILES:
        return Completion(directive=DEFAULT)
    kind, _, arg = what.partition(":")
    if kind == "choices":
        return _words(arg.split(","), partial)
    if what == c.CONTEXTS:
        from kubectl_batch.kube.config import context_names

        return _words(context_names(line.values.get("kubeconfig")), partial)
    if what == c.NAMESPACES:
        return _words(cluster.call(cluster.namespaces) or (), partial)
    if what == c.LABELS:
        return labels(line, partial, cluster)
    if what == "themes":
        return _words(theme_names(), partial)
    if what == "timezones":
        import zoneinfo

        return _words(sorted(zoneinfo.available_timezones()), partial)
    if kind == "names":
        return _names(cluster, arg, partial, exclude=line.positionals)
    if kind == "objects":
        return objects(line, tuple(arg.split(",")), partial, cluster)
    return Completion()


def _words(words: Iterable[str], partial: str, directive: int = NO_FILE_COMP) -> Completion:
    return Completion(((w, "") for w in words if w.startswith(partial)), directive)


def _names(
    cluster: Cluster, kind: str, partial: str, prefix: str = "", exclude: Sequence[str] = ()
) -> Completion:
    names = cluster.call(lambda: cluster.names(kind)) or []
    return Completion(
        (prefix + n, "")
        for n in names
        if n.startswith(partial) and prefix + n not in exclude and n not in exclude
    )


def objects(line: Line, kinds: tuple[str, ...], partial: str, cluster: Cluster) -> Completion:
    """``kind/NAME`` (``cronjob/<TAB>`` offers names), or NAME after a bare kind word."""
    if "/" in partial:
        spelled, _, name = partial.partition("/")
        kind = _kind(spelled)
        if kind not in kinds:
            return Completion()
        return _names(cluster, kind, name, prefix=f"{spelled}/", exclude=line.positionals)
    if line.values.get("selector"):
        return Completion()  # `suspend cronjobs -l team=etl`: no names to give
    if line.positionals and "/" not in line.positionals[0]:
        kind = _kind(line.positionals[0])  # `suspend cronjob <TAB>`
        return (
            _names(cluster, kind, partial, exclude=line.positionals)
            if kind in kinds
            else Completion()
        )
    prefixes = [f"{k.lower()}/" for k in kinds]
    return _words(
        (p for p in prefixes if p.startswith(partial)), "", directive=NO_SPACE | NO_FILE_COMP
    )


def _kind(spelled: str) -> str:
    from kubectl_batch.kube.actions.common import is_kind, normalize_kind

    return normalize_kind(spelled) if is_kind(spelled) else ""


def labels(line: Line, partial: str, cluster: Cluster) -> Completion:
    """``-l``: the label keys (``key=``) of the Jobs and CronJobs in scope, then, after a
    ``key=``, that key's values; after a comma, the next requirement."""
    head, comma, current = partial.rpartition(",")
    head += comma
    pairs = cluster.call(lambda: cluster.labels(("Job", "CronJob"))) or set()
    key, eq, _ = current.partition("=")
    if eq:
        words = sorted({f"{key}={v}" for k, v in pairs if k == key})
        return Completion((head + w, "") for w in words if w.startswith(current))
    keys = sorted({f"{k}=" for k, _ in pairs})
    return Completion(
        ((head + k, "") for k in keys if k.startswith(current)), NO_SPACE | NO_FILE_COMP
    )


def theme_names() -> list[str]:
    """Textual's built-in themes, read from its source: importing Textual costs more than a
    completion may take."""
    import importlib.util
    import re

    spec = importlib.util.find_spec("textual")
    if spec is None or not spec.submodule_search_locations:
        return []
    path = os.path.join(list(spec.submodule_search_locations)[0], "theme.py")
    try:
        with open(path, encoding="utf-8") as f:
            source = f.read()
    except OSError:
        return []
    return sorted(set(re.findall(r'^    "([a-z0-9-]+)": Theme\(', source, re.M)))


# --------------------------------------------------------------------------- cluster


class Cluster:
    """Look-ups for names, in the scope of the flags typed, within one time budget."""

    def __init__(self, flags: argparse.Namespace, budget: float) -> None:
        self.flags = flags
        self.deadline = time.monotonic() + budget
        self._client: ApiClient | None = None

    def call(self, fn: Callable[[], T]) -> T | None:
        """``fn()`` on a daemon thread; None if it fails or outlives the budget."""
        box: list[T] = []

        def work() -> None:
            # No cluster, no credentials, no answer in time: no names, and no error text.
            with contextlib.suppress(Exception):
                box.append(fn())

        thread = threading.Thread(target=work, name="complete", daemon=True)
        thread.start()
        thread.join(max(0.0, self.deadline - time.monotonic()))
        return box[0] if box else None

    def client(self) -> ApiClient:
        if self._client is None:
            import dataclasses

            from kubectl_batch.commands.connect import cluster_config
            from kubectl_batch.kube.client import ApiClient

            config = cluster_config(self.flags)
            left = max(0.1, self.deadline - time.monotonic())
            self._client = ApiClient(dataclasses.replace(config, request_timeout=left))
            # A credential plugin's words must not land in the user's prompt.
            self._client.set_plugin_ui(None, lambda text: None)
        return self._client

    def namespace(self) -> str | None:
        return None if self.flags.all_namespaces else self.client().config.namespace

    def _items(self, kind: str) -> list[dict]:
        from kubectl_batch.kube.resources import CRONJOBS, JOBS

        resource = {"Job": JOBS, "CronJob": CRONJOBS}[kind]
        page = self.client().get(resource.path(self.namespace()), {"limit": 500})
        return list(page.get("items") or [])

    def names(self, kind: str) -> list[str]:
        return sorted({(i.get("metadata") or {}).get("name", "") for i in self._items(kind)} - {""})

    def namespaces(self) -> list[str]:
        from kubectl_batch.kube.namespaces import list_namespaces

        return list_namespaces(self.client())

    def labels(self, kinds: tuple[str, ...]) -> set[tuple[str, str]]:
        pairs: set[tuple[str, str]] = set()
        for kind in kinds:
            for item in self._items(kind):
                pairs.update(((item.get("metadata") or {}).get("labels") or {}).items())
        return pairs


if __name__ == "__main__":
    entry()
