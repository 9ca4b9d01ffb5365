"""One sentence for every failure a user can cause or meet."""

from __future__ import annotations


def describe(exc: BaseException) -> str:
    from kubectl_batch.kube.client import ApiError, Unreachable
    from kubectl_batch.kube.config import ConfigError

    if isinstance(exc, (ConfigError, Unreachable)):
        return str(exc)
    if isinstance(exc, ApiError):
        if exc.status == 401:
            return f"the API server rejected our credentials (Unauthorized): {exc.message}"
        if exc.forbidden:
            return exc.message  # already "x is forbidden: User ... cannot list ..."
        return exc.message
    if isinstance(exc, ValueError):  # ScheduleError and bad argument values
        return str(exc)
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    return (
        f"unexpected failure ({type(exc).__name__}: {exc}); "
        "run with KUBECTL_BATCH_DEBUG=1 for details"
    )
