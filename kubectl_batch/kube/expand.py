"""Creating the Jobs of an expansion (domain/expand.py): at a bounded rate with a bounded
number of requests in flight, backing off on 429 Too Many Requests (its Retry-After
honoured, every worker waits), and stopping at the first refusal (a ResourceQuota, an
admission webhook, a validation error) with one sentence naming the item.

Idempotent by name: the group's Jobs are listed first and an item whose Job an earlier run
made from the same template (same hash annotation) is done without a request (a POST of
an existing name would be charged to a ResourceQuota before the API server answers 409,
and refused once the quota is full). A 409 AlreadyExists of such a Job counts as done too,
so a create whose answer was lost (connection cut, 429 or 5xx after the fact) is simply
tried again and meets its own Job. Nothing is ever updated or deleted here.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from kubectl_batch.domain.expand import ExpandedJob, same_expansion
from kubectl_batch.kube.client import ApiClient, ApiError, Unreachable
from kubectl_batch.kube.resources import JOBS

CREATED, EXISTED, REFUSED = "created", "unchanged", "refused"
#: Server answers that mean "try again later" (the create did or did not happen: the
#: retry finds out through 409 and the hash).
_TRANSIENT = frozenset({429, 500, 502, 503, 504})
#: Attempts of one item before the run stops on it.
MAX_ATTEMPTS = 30
FIRST_BACKOFF, MAX_BACKOFF = 0.25, 10.0


@dataclass(frozen=True)
class Outcome:
    job: ExpandedJob
    result: str  # CREATED | EXISTED | REFUSED
    message: str = ""  # the server's reason, for REFUSED


@dataclass
class ExpandReport:
    outcomes: list[Outcome] = field(default_factory=list)
    #: The first refusal, which stopped the run.
    stopped_by: Outcome | None = None
    #: 429 answers met (and waited out).
    throttled: int = 0

    def done(self, result: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.result == result]

    def missing(self, jobs: Iterable[ExpandedJob]) -> list[ExpandedJob]:
        """The items neither created nor found, in the order given."""
        done = {o.job.name for o in self.outcomes if o.result in (CREATED, EXISTED)}
        return [j for j in jobs if j.name not in done]


class RateGate:
    """At most ``rate`` starts a second (``0``: unlimited), all held back together until a
    server's Retry-After has passed."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._lock = threading.Lock()
        self._next = clock()

    def hold_until(self, when: float) -> None:
        with self._lock:
            self._next = max(self._next, when)

    def wait(self, stop: threading.Event) -> bool:
        """Block until this caller may start; False if ``stop`` was set meanwhile."""
        while True:
            with self._lock:
                now = self._clock()
                if now >= self._next:
                    self._next = max(self._next, now - self._interval) + self._interval
                    return not stop.is_set()
                delay = self._next - now
            if stop.wait(min(delay, 0.5)):
                return False


class _Throttled(Exception):
    def __init__(self, wait: float | None, message: str) -> None:
        super().__init__(message)
        self.wait, self.message = wait, message


def create_jobs(
    client: ApiClient,
    namespace: str,
    jobs: list[ExpandedJob],
    *,
    rate: float = 20.0,
    in_flight: int = 8,
    dry_run: bool = False,
    on_outcome: Callable[[Outcome], None] | None = None,
    group_selector: str | None = None,
) -> ExpandReport:
    """Create every Job (dryRun=All with ``dry_run``); stops starting new ones at the first
    refusal. ``on_outcome`` is called (from worker threads, one at a time) per Job. The
    Jobs matching ``group_selector`` are listed first: those already made are not sent."""
    report = ExpandReport()
    gate = RateGate(rate)
    stop = threading.Event()
    lock = threading.Lock()
    path = JOBS.path(namespace)
    params = {"dryRun": "All"} if dry_run else None

    def record(outcome: Outcome) -> None:
        with lock:
            report.outcomes.append(outcome)
            if outcome.result == REFUSED and report.stopped_by is None:
                report.stopped_by = outcome
                stop.set()
            if on_outcome is not None:
                on_outcome(outcome)

    def once(job: ExpandedJob) -> Outcome:
        try:
            client.request("POST", path, params, job.body)
            return Outcome(job, CREATED)
        except ApiError as exc:
            if exc.status == 409 and exc.reason == "AlreadyExists":
                return _existing(client, namespace, job, exc)
            if exc.status in _TRANSIENT:
                raise _Throttled(exc.retry_after, exc.message) from None
            return Outcome(job, REFUSED, exc.message)

    def one(job: ExpandedJob) -> None:
        backoff = FIRST_BACKOFF
        last = ""
        for _ in range(MAX_ATTEMPTS):
            if not gate.wait(stop):
                return  # stopped by another item's refusal: this one was not sent
            try:
                record(once(job))
                return
            except _Throttled as exc:
                with lock:
                    report.throttled += 1
                wait = exc.wait if exc.wait is not None else backoff
                last = exc.message
            except Unreachable as exc:
                wait, last = backoff, str(exc)
            # Everyone waits: the server asked for less load, not for this item alone.
            gate.hold_until(time.monotonic() + wait + random.uniform(0, backoff / 2))
            backoff = min(backoff * 2, MAX_BACKOFF)
        record(Outcome(job, REFUSED, f"gave up after {MAX_ATTEMPTS} attempts: {last}"))

    todo = jobs
    if group_selector is not None:
        made = _listed(client, namespace, group_selector)
        todo = []
        for job in jobs:
            existing = made.get(job.name)
            if existing is None:
                todo.append(job)
            else:
                record(_compare(existing, job))
        if stop.is_set():
            return report  # a different Job holds an item's name: nothing is created
    pool = ThreadPoolExecutor(max(1, in_flight), thread_name_prefix="expand")
    try:
        for future in [pool.submit(one, job) for job in todo]:
            future.result()
    except BaseException:
        # Ctrl-C: start nothing more; the creates in flight end (and are told) first.
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return report


def _listed(client: ApiClient, namespace: str, selector: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for page in client.list_pages(JOBS.path(namespace), {"labelSelector": selector}):
        for item in page.get("items") or []:
            out[(item.get("metadata") or {}).get("name", "")] = item
    return out


def _compare(existing: dict, job: ExpandedJob) -> Outcome:
    if same_expansion(existing, job):
        return Outcome(job, EXISTED)
    return Outcome(
        job,
        REFUSED,
        f'a different Job named "{job.name}" already exists (not made from this template '
        "for this item); it was left as it is",
    )


def _existing(client: ApiClient, namespace: str, job: ExpandedJob, conflict: ApiError) -> Outcome:
    """A Job of that name exists: done if it is this item's expansion, else a refusal."""
    try:
        existing = client.get(JOBS.path(namespace, job.name))
    except ApiError as exc:
        if exc.status == 404 or exc.status in _TRANSIENT:  # (404: deleted meanwhile)
            raise _Throttled(exc.retry_after, exc.message) from None
        return Outcome(job, REFUSED, exc.message)
    return _compare(existing, job)
