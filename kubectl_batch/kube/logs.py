"""Container logs: GET /api/v1/namespaces/{ns}/pods/{pod}/log, streamed line by line.

Lines are always requested with ``timestamps=true`` so a follow that drops (a read timeout
on a quiet container, a restarting API server) can resume from the last line's time with
``sinceTime`` instead of repeating the tail; the time is split off into
:attr:`LogLine.time`. Cancel a stream from another thread by closing the response handed
to ``on_open``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubectl_batch.domain.timeutil import parse_time, to_rfc3339
from kubectl_batch.kube.client import ApiClient

#: A followed log may stay silent for long; a read that waits longer than this ends the
#: stream (the caller resumes from the last line's time).
FOLLOW_READ_TIMEOUT = 900.0


@dataclass(frozen=True)
class LogLine:
    #: When the container wrote the line (None if the kubelet sent no timestamp).
    time: datetime | None
    text: str


def log_path(namespace: str, pod: str) -> str:
    return f"/api/v1/namespaces/{namespace}/pods/{pod}/log"


def parse_line(raw: bytes) -> LogLine:
    """``2026-01-01T00:00:00.123456789Z text`` -> LogLine (time None when absent)."""
    text = raw.decode("utf-8", errors="replace").rstrip("\r")
    stamp, sep, rest = text.partition(" ")
    if sep and len(stamp) >= 20 and stamp[4:5] == "-" and stamp[10:11] == "T":
        try:
            return LogLine(parse_time(stamp), rest)
        except ValueError:
            pass
    return LogLine(None, text)


def stream(
    client: ApiClient,
    namespace: str,
    pod: str,
    *,
    container: str | None = None,
    follow: bool = False,
    previous: bool = False,
    tail_lines: int | None = None,
    since_time: datetime | None = None,
    on_open: Callable[[Any], None] | None = None,
) -> Iterator[LogLine]:
    """The pod's log lines (of ``container``; of its previous instance with ``previous``).

    With ``follow`` the stream stays open and yields lines as they are written, until the
    container ends, the response is closed (cancel) or a read waits longer than
    :data:`FOLLOW_READ_TIMEOUT`. Raises ApiError (e.g. 400 "previous terminated container
    not found") or Unreachable.
    """
    params: dict[str, Any] = {
        "container": container,
        "follow": follow or None,
        "previous": previous or None,
        "tailLines": tail_lines,
        "sinceTime": to_rfc3339(since_time) if since_time is not None else None,
        "timestamps": True,
    }
    timeout = FOLLOW_READ_TIMEOUT if follow else (client.config.request_timeout or 60.0)
    for raw in client.stream_lines(log_path(namespace, pod), params, timeout, on_open=on_open):
        yield parse_line(raw)
