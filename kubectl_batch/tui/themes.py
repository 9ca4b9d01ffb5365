"""The UI's colour theme: one of Textual's (dark and light ones; the command palette's
"Theme" command lists them), chosen with ``--theme NAME`` or in the palette and remembered
in ``$XDG_CONFIG_HOME/kubectl-batch/theme``. With NO_COLOR set, Textual draws every theme
in monochrome; states stay told apart by their words and symbols."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from kubectl_batch.tui.keymap import config_dir


def theme_path(environ: Mapping[str, str] | None = None) -> Path:
    return config_dir(environ) / "theme"


def theme_names() -> list[str]:
    from textual.theme import BUILTIN_THEMES

    return sorted(BUILTIN_THEMES)


def check_theme(name: str) -> None:
    if name not in theme_names():
        raise ValueError(f'unknown theme "{name}": use one of {", ".join(theme_names())}')


def saved_theme(environ: Mapping[str, str] | None = None) -> str | None:
    """The theme chosen last time, if it is still one of Textual's."""
    try:
        name = theme_path(environ).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name if name in theme_names() else None


def save_theme(name: str, environ: Mapping[str, str] | None = None) -> None:
    """Remember ``name``; a config directory we cannot write only means it is not kept."""
    path = theme_path(environ)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name + "\n", encoding="utf-8")
    except OSError:
        pass
