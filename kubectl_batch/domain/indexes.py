"""Sets of completion indexes, stored as sorted disjoint ranges.

``status.completedIndexes`` and ``status.failedIndexes`` of an Indexed Job are
written by the Job controller (``pkg/controller/job/indexed_job_utils.go``,
``orderedIntervals.String``): ascending, comma separated, a run of three or
more consecutive indexes as ``a-b``, a run of exactly two as ``a,b``::

    "1,3-5,7"    "0,1"    "0-299999"

:class:`IndexSet` keeps only the ranges, so a job with hundreds of thousands
of completions costs a handful of tuples. Nothing expands to individual
indexes unless you iterate it or call :meth:`IndexSet.to_list`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator

__all__ = ["IndexSet"]

_FRAGMENT = re.compile(r"\+?([0-9]+)(?:-\+?([0-9]+))?\Z")
_ATOI = re.compile(r"[+-]?[0-9]+\Z")
_PLAIN_LIST = re.compile(r"[0-9]+(?:-[0-9]+)?(?:,[0-9]+(?:-[0-9]+)?)*\Z")


def _atoi(s: str) -> int:
    """Go's ``strconv.Atoi`` (no spaces, no underscores, ASCII digits)."""
    if _ATOI.match(s) is None:
        raise ValueError(s)
    return int(s)


class IndexSet:
    """An immutable set of non-negative ints, as inclusive ``(first, last)`` ranges.

    Ranges are sorted, disjoint and never adjacent (``0-2`` and ``3-5`` are
    stored as ``0-5``), so two sets are equal exactly when their ranges are.
    """

    __slots__ = ("_starts", "_ends", "_len", "_hash")

    _starts: tuple[int, ...]
    _ends: tuple[int, ...]
    _len: int

    def __init__(self, ranges: Iterable[tuple[int, int]] = ()) -> None:
        """Build from inclusive ``(first, last)`` ranges in any order; overlaps merge."""
        rs = sorted(ranges)
        starts: list[int] = []
        ends: list[int] = []
        for first, last in rs:
            if first < 0 or last < first:
                raise ValueError(f"bad index range {first}-{last}")
            if ends and first <= ends[-1] + 1:
                if last > ends[-1]:
                    ends[-1] = last
            else:
                starts.append(first)
                ends.append(last)
        self._set(starts, ends)

    def _set(self, starts: list[int] | tuple[int, ...], ends: list[int] | tuple[int, ...]) -> None:
        self._starts = tuple(starts)
        self._ends = tuple(ends)
        self._len = sum(ends) - sum(starts) + len(starts)
        self._hash: int | None = None

    @classmethod
    def _from_normalized(cls, starts: list[int], ends: list[int]) -> IndexSet:
        obj = cls.__new__(cls)
        obj._set(starts, ends)
        return obj

    # ------------------------------------------------------------------ build

    @classmethod
    def empty(cls) -> IndexSet:
        return cls._from_normalized([], [])

    @classmethod
    def span(cls, start: int, stop: int) -> IndexSet:
        """The half-open range ``[start, stop)`` (empty when ``stop <= start``)."""
        if start < 0:
            raise ValueError("indexes are non-negative")
        if stop <= start:
            return cls.empty()
        return cls._from_normalized([start], [stop - 1])

    @classmethod
    def full(cls, completions: int) -> IndexSet:
        """All indexes of a job: ``[0, completions)``."""
        return cls.span(0, max(completions, 0))

    @classmethod
    def from_indexes(cls, indexes: Iterable[int]) -> IndexSet:
        """From individual indexes in any order (duplicates allowed)."""
        if isinstance(indexes, IndexSet):
            return indexes
        if isinstance(indexes, range) and indexes.step == 1:
            return cls.span(indexes.start, indexes.stop)
        starts: list[int] = []
        ends: list[int] = []
        values = sorted(set(indexes))
        for i in values:
            if i < 0:
                raise ValueError(f"negative index {i}")
            if ends and i == ends[-1] + 1:
                ends[-1] = i
            else:
                starts.append(i)
                ends.append(i)
        return cls._from_normalized(starts, ends)

    @classmethod
    def parse(cls, text: str | None, completions: int | None = None) -> IndexSet:
        """Parse an index string as the controller writes it.

        Accepts what the API server's validation accepts
        (``validateIndexesFormat``): comma separated fragments ``N`` or
        ``N-M`` with ``N < M``, strictly increasing and non-overlapping.
        Adjacent fragments (``1-3,4``) are valid and merge. ``None`` and ``""``
        are the empty set. With ``completions``, an index ``>= completions``
        is an error, as in the API. Anything else raises :class:`ValueError`.
        """
        if not text:
            return cls.empty()
        starts: list[int] = []
        ends: list[int] = []
        last = -1
        for frag in text.split(","):
            m = _FRAGMENT.match(frag)
            if m is None:
                raise ValueError(f"bad index fragment {frag!r} in {text!r}")
            first = int(m.group(1))
            end = int(m.group(2)) if m.group(2) is not None else first
            if m.group(2) is not None and first >= end:
                raise ValueError(f"non-increasing range {frag!r} in {text!r}")
            if first <= last:
                raise ValueError(f"non-increasing order at {frag!r} in {text!r}")
            if completions is not None and end >= completions:
                raise ValueError(f"index {end} out of range for {completions} completions")
            if ends and first == ends[-1] + 1:
                ends[-1] = end
            else:
                starts.append(first)
                ends.append(end)
            last = end
        return cls._from_normalized(starts, ends)

    @classmethod
    def parse_lenient(cls, text: str | None, completions: int) -> IndexSet:
        """Parse like the controller reads its own status (``parseIndexesFromString``).

        Never raises: fragments that do not parse are skipped, parsing stops
        at the first fragment starting at or beyond ``completions``, and a
        range end beyond it is clipped to ``completions - 1``. (The
        controller then merges only adjacent ranges; this normalizes fully.)
        """
        if not text:
            return cls.empty()
        ranges: list[tuple[int, int]] = []
        if _PLAIN_LIST.match(text):
            # What the controller writes (digits, "-" and ","): read without checking each
            # fragment again. Failed indexes of a large Job run to thousands of fragments.
            for frag in text.split(","):
                head, _, tail = frag.partition("-")
                first = int(head)
                if first >= completions:
                    break
                end = min(int(tail), completions - 1) if tail else first
                if end >= first:
                    ranges.append((first, end))
            return cls(ranges)
        for frag in text.split(","):
            parts = frag.split("-")
            try:
                first = _atoi(parts[0])
            except ValueError:
                continue
            if first >= completions:
                break
            if len(parts) > 1:
                try:
                    end = _atoi(parts[1])
                except ValueError:
                    continue
                end = min(end, completions - 1)
            else:
                end = first
            if first < 0 or end < first:
                continue
            ranges.append((first, end))
        return cls(ranges)

    # --------------------------------------------------------------- queries

    def __str__(self) -> str:
        out: list[str] = []
        for first, last in zip(self._starts, self._ends, strict=True):
            if last == first:
                out.append(str(first))
            elif last == first + 1:
                out.append(f"{first},{last}")
            else:
                out.append(f"{first}-{last}")
        return ",".join(out)

    def __repr__(self) -> str:
        return f"IndexSet.parse({str(self)!r})"

    def __len__(self) -> int:
        return self._len

    def __bool__(self) -> bool:
        return bool(self._starts)

    def __contains__(self, index: object) -> bool:
        if not isinstance(index, int):
            return False
        pos = bisect_right(self._starts, index) - 1
        return pos >= 0 and index <= self._ends[pos]

    def __iter__(self) -> Iterator[int]:
        """Every index, ascending, generated lazily."""
        for first, last in zip(self._starts, self._ends, strict=True):
            yield from range(first, last + 1)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IndexSet):
            return NotImplemented
        return self._starts == other._starts and self._ends == other._ends

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash((self._starts, self._ends))
        return self._hash

    @property
    def ranges(self) -> tuple[tuple[int, int], ...]:
        """The inclusive ``(first, last)`` ranges, ascending."""
        return tuple(zip(self._starts, self._ends, strict=True))

    def iter_ranges(self) -> Iterator[tuple[int, int]]:
        """Iterate the inclusive ``(first, last)`` ranges, ascending."""
        return zip(self._starts, self._ends, strict=True)

    @property
    def range_count(self) -> int:
        return len(self._starts)

    @property
    def first(self) -> int | None:
        return self._starts[0] if self._starts else None

    @property
    def last(self) -> int | None:
        return self._ends[-1] if self._ends else None

    def to_list(self) -> list[int]:
        """Expand to a list (only when you really need every index)."""
        return list(self)

    def take(self, n: int) -> list[int]:
        """The ``n`` lowest indexes."""
        out: list[int] = []
        for first, last in zip(self._starts, self._ends, strict=True):
            need = n - len(out)
            if need <= 0:
                break
            out.extend(range(first, min(last, first + need - 1) + 1))
        return out

    def issubset(self, other: IndexSet) -> bool:
        return not (self - other)

    def __le__(self, other: IndexSet) -> bool:
        return self.issubset(other)

    def isdisjoint(self, other: IndexSet) -> bool:
        return not (self & other)

    # ------------------------------------------------------------ set algebra

    def __or__(self, other: IndexSet) -> IndexSet:
        return self.union(other)

    def __sub__(self, other: IndexSet) -> IndexSet:
        return self.difference(other)

    def __and__(self, other: IndexSet) -> IndexSet:
        return self.intersection(other)

    def union(self, *others: IndexSet) -> IndexSet:
        sets = [self, *others]
        sets = [s for s in sets if s]
        if not sets:
            return IndexSet.empty()
        if len(sets) == 1:
            return sets[0]
        pairs = sorted(p for s in sets for p in zip(s._starts, s._ends, strict=True))
        starts: list[int] = []
        ends: list[int] = []
        for first, last in pairs:
            if ends and first <= ends[-1] + 1:
                if last > ends[-1]:
                    ends[-1] = last
            else:
                starts.append(first)
                ends.append(last)
        return IndexSet._from_normalized(starts, ends)

    def difference(self, other: IndexSet) -> IndexSet:
        if not self or not other:
            return self
        starts: list[int] = []
        ends: list[int] = []
        o_starts, o_ends = other._starts, other._ends
        j = 0
        n = len(o_starts)
        for first, last in zip(self._starts, self._ends, strict=True):
            cur = first
            while j < n and o_ends[j] < cur:
                j += 1
            k = j
            while k < n and o_starts[k] <= last:
                if o_starts[k] > cur:
                    starts.append(cur)
                    ends.append(o_starts[k] - 1)
                cur = max(cur, o_ends[k] + 1)
                if cur > last:
                    break
                k += 1
            if cur <= last:
                starts.append(cur)
                ends.append(last)
        return IndexSet._from_normalized(starts, ends)

    def intersection(self, other: IndexSet) -> IndexSet:
        starts: list[int] = []
        ends: list[int] = []
        a_s, a_e, b_s, b_e = self._starts, self._ends, other._starts, other._ends
        i = j = 0
        while i < len(a_s) and j < len(b_s):
            lo = max(a_s[i], b_s[j])
            hi = min(a_e[i], b_e[j])
            if lo <= hi:
                starts.append(lo)
                ends.append(hi)
            if a_e[i] < b_e[j]:
                i += 1
            else:
                j += 1
        return IndexSet._from_normalized(starts, ends)

    def complement(self, completions: int) -> IndexSet:
        """The indexes in ``[0, completions)`` that are not in this set."""
        return IndexSet.full(completions) - self

    def clip(self, completions: int) -> IndexSet:
        """Only the indexes below ``completions``."""
        if self.last is None or self.last < completions:
            return self
        return self & IndexSet.full(completions)
