"""Every key of the app, by binding id, and the user's keymap file that can rebind them.

Screens take their ``BINDINGS`` from :func:`bindings`, so one table holds every key, its
description and its id. Users override keys per id in
``$XDG_CONFIG_HOME/kubectl-batch/keymap.yaml`` (default ``~/.config``), or ``keymap.toml``
on Python 3.11+::

    # keymap.yaml: binding id -> key(s), comma separated
    suspend: S
    delete: ctrl+d,D
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class Key:
    id: str
    keys: str
    action: str
    description: str
    show: bool = True
    #: Shown in the footer under this label (short), description in help.
    label: str | None = None


@dataclass(frozen=True)
class KeyInfo:
    """A key as the user has it now (after their keymap): shown in hints and help."""

    id: str
    display: str
    description: str


KEYS: dict[str, Key] = {
    k.id: k
    for k in (
        # everywhere
        Key("help", "question_mark", "app.help", "Show every key of this screen", label="Help"),
        Key("quit", "q", "app.quit", "Quit", label="Quit"),
        Key("back", "escape", "app.back", "Back to the previous screen", label="Back"),
        # the selected object (main screen, detail screens)
        Key("open", "enter", "open", "Open the selected object", label="Open"),
        Key("logs", "l", "logs", "Logs of the selected job, pod or index", label="Logs"),
        Key(
            "suspend", "s", "suspend", "Suspend or resume the selected job/cronjob", label="Suspend"
        ),
        Key("trigger", "t", "trigger", "Run the selected CronJob now", label="Trigger"),
        Key("retry", "r", "retry", "Retry failed indexes (or re-run a failed job)", label="Retry"),
        Key("delete", "D", "delete", "Delete the selection, or by label selector", label="Delete"),
        Key("yaml", "y", "yaml", "Show the YAML of the selected object", label="YAML"),
        # main screen
        Key("filter", "slash", "filter", "Filter by name", label="Filter"),
        Key("selector", "L", "selector", "Filter by label selector", label="Labels"),
        Key("namespace", "n", "namespace", "Switch namespace", label="Namespace"),
        Key(
            "group",
            "G",
            "group",
            "Group the jobs by a label (or ungroup)",
            label="Group",
            show=False,  # in help (?) and the README: the main footer stays as it was
        ),
        Key("context", "c", "context", "Switch context", label="Context", show=False),
        Key("sort", "o", "sort", "Sort by the next column", label="Sort", show=False),
        Key("reverse", "O", "reverse", "Reverse the sort order", label="Reverse", show=False),
        Key(
            "wide",
            "w",
            "wide",
            "All columns on/off (as kubectl -o wide)",
            label="Wide",
            show=False,
        ),
        # job detail
        Key("goto-index", "g", "goto_index", "Go to a completion index", label="Go to index"),
        Key("tab-overview", "1", "tab('overview')", "Overview tab", show=False),
        Key("tab-pods", "2", "tab('pods')", "Pods tab", show=False),
        Key("tab-events", "3", "tab('events')", "Events tab", show=False),
        # logs
        Key("follow", "f", "follow", "Follow on/off", label="Follow"),
        Key("previous", "p", "previous", "Previous container instance on/off", label="Previous"),
        Key("container", "C", "container", "Choose the container", label="Container"),
        Key("search", "slash", "search", "Search", label="Search"),
        Key("next-match", "N", "next_match", "Next match", show=False),
        Key("wrap", "w", "wrap", "Wrap lines on/off", label="Wrap"),
        Key("timestamps", "T", "timestamps", "Timestamps on/off", show=False),
        Key(
            "all-pods",
            "a",
            "all_pods",
            "Group logs: every pod, or the latest attempt of each index/job",
            label="All pods",
        ),
    )
}


def bindings(*ids: str) -> list[BindingType]:
    """Textual bindings (with ids, so the keymap can rebind them) for these keys: a
    ``BINDINGS`` list as Textual types it."""
    out: list[BindingType] = []
    for id_ in ids:
        k = KEYS[id_]
        out.append(
            Binding(
                k.keys,
                k.action,
                k.label or k.description,
                show=k.show,
                id=k.id,
                tooltip=k.description,
            )
        )
    return out


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the user's settings live: ``$XDG_CONFIG_HOME/kubectl-batch`` (``~/.config``)."""
    env = os.environ if environ is None else environ
    base = Path(env.get("XDG_CONFIG_HOME") or Path(env.get("HOME", "~")) / ".config")
    return base.expanduser() / "kubectl-batch"


def keymap_paths(environ: Mapping[str, str] | None = None) -> list[Path]:
    folder = config_dir(environ)
    return [folder / "keymap.yaml", folder / "keymap.yml", folder / "keymap.toml"]


class KeymapError(ValueError):
    pass


def _read(path: Path) -> object:
    if path.suffix == ".toml":
        try:
            import tomllib  # Python 3.11+
        except ImportError:  # pragma: no cover - Python 3.10
            raise KeymapError(f"{path}: TOML needs Python 3.11+, use keymap.yaml") from None
        try:
            return tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise KeymapError(f"{path}: {exc}") from None
    import yaml

    try:
        return yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise KeymapError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None


def parse_keymap(data: object, origin: str = "keymap") -> tuple[dict[str, str], list[str]]:
    """(binding id -> keys, warnings). Unknown ids and non-string keys are warned about."""
    if not isinstance(data, dict):
        raise KeymapError(f"{origin}: expected a mapping of binding id to keys")
    entries: dict = data["keys"] if isinstance(data.get("keys"), dict) else data
    keymap: dict[str, str] = {}
    warnings: list[str] = []
    for id_, keys in entries.items():
        if id_ not in KEYS:
            warnings.append(f"{origin}: unknown binding id {id_!r}")
            continue
        if isinstance(keys, list):
            keys = ",".join(str(k) for k in keys)
        if not isinstance(keys, str) or not keys.strip():
            warnings.append(f"{origin}: keys of {id_!r} must be a string")
            continue
        keymap[str(id_)] = ",".join(k.strip() for k in keys.split(","))
    return keymap, warnings


def load_keymap(
    path: Path | None = None, environ: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """The user's keymap (empty when there is no file) and warnings to show."""
    candidates = [path] if path is not None else keymap_paths(environ)
    for candidate in candidates:
        if candidate.is_file():
            try:
                return parse_keymap(_read(candidate), str(candidate))
            except (KeymapError, OSError) as exc:
                return {}, [str(exc)]
    return {}, []


def key_display(keys: str) -> str:
    """How a binding's keys read in help and README (``question_mark`` -> ``?``)."""
    names = {
        "question_mark": "?",
        "slash": "/",
        "escape": "esc",
        "enter": "enter",
        "tab": "tab",
    }
    return ", ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))
