"""Failures the app survives: a bug or an object shape we did not foresee, while building
or showing one screen, must not end the program the user is watching.

The full traceback goes to a log file in the user's state directory
(``$XDG_STATE_HOME/kubectl-batch/errors.log``, default ``~/.local/state``); the app says
in one sentence what failed and where the traceback is."""

from __future__ import annotations

import os
import traceback
from datetime import datetime, timezone
from pathlib import Path

#: The log is cut back to its newest half past this size.
MAX_LOG_BYTES = 1_000_000


def log_path(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    home = Path(env.get("HOME", "~")).expanduser()
    base = env.get("XDG_STATE_HOME") or str(home / ".local" / "state")
    return Path(base) / "kubectl-batch" / "errors.log"


def record(where: str, error: BaseException, path: Path | None = None) -> Path | None:
    """Append the traceback of ``error`` to the log; its path, or None if it can't be written."""
    path = path or log_path()
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > MAX_LOG_BYTES:
            kept = path.read_bytes()[-MAX_LOG_BYTES // 2 :]
            path.write_bytes(kept)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {stamp} {where}\n{text}\n")
    except OSError:
        return None
    return path


def summary(where: str, error: BaseException, path: Path | None) -> str:
    """One sentence: what failed, and where the details are."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    what = f"{type(error).__name__}: {message}" if message else type(error).__name__
    where_logged = f"; the traceback is in {path}" if path else ""
    return f"{where} failed ({what}){where_logged}. The rest of the app keeps working."
