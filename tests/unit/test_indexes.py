from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubectl_batch.domain.indexes import IndexSet


def controller_format(indexes: set[int]) -> str:
    """Reference: orderedIntervals.String() of the Job controller, from a plain set."""
    out: list[str] = []
    xs = sorted(indexes)
    i = 0
    while i < len(xs):
        j = i
        while j + 1 < len(xs) and xs[j + 1] == xs[j] + 1:
            j += 1
        first, last = xs[i], xs[j]
        if last == first:
            out.append(str(first))
        elif last == first + 1:
            out.append(f"{first},{last}")
        else:
            out.append(f"{first}-{last}")
        i = j + 1
    return ",".join(out)


small_sets = st.sets(st.integers(min_value=0, max_value=300), max_size=80)
range_lists = st.lists(
    st.tuples(st.integers(0, 10**6), st.integers(0, 5000)).map(lambda t: (t[0], t[0] + t[1])),
    max_size=30,
)


@pytest.mark.parametrize(
    ("indexes", "text"),
    [
        ({1, 3, 4, 5, 7}, "1,3-5,7"),
        ({0, 1}, "0,1"),
        ({0, 1, 2}, "0-2"),
        ({5}, "5"),
        (set(), ""),
        ({0, 1, 3, 4, 6, 7, 8}, "0,1,3,4,6-8"),
    ],
)
def test_formats_exactly_like_the_controller(indexes: set[int], text: str) -> None:
    s = IndexSet.from_indexes(indexes)
    assert str(s) == text
    assert IndexSet.parse(text) == s
    assert len(s) == len(indexes)


@given(small_sets)
def test_str_matches_controller_reference(indexes: set[int]) -> None:
    assert str(IndexSet.from_indexes(indexes)) == controller_format(indexes)


@given(small_sets)
def test_parse_of_str_round_trips(indexes: set[int]) -> None:
    s = IndexSet.from_indexes(indexes)
    assert IndexSet.parse(str(s)) == s
    assert set(IndexSet.parse(str(s))) == indexes


@given(small_sets)
def test_str_of_parse_round_trips_controller_strings(indexes: set[int]) -> None:
    text = controller_format(indexes)
    assert str(IndexSet.parse(text)) == text


@given(range_lists)
def test_ranges_round_trip_without_expanding(ranges: list[tuple[int, int]]) -> None:
    s = IndexSet(ranges)
    assert IndexSet.parse(str(s)) == s
    assert len(s) == sum(last - first + 1 for first, last in s.ranges)


@given(small_sets, small_sets)
def test_set_algebra_matches_python_sets(a: set[int], b: set[int]) -> None:
    sa, sb = IndexSet.from_indexes(a), IndexSet.from_indexes(b)
    assert set(sa | sb) == a | b
    assert set(sa - sb) == a - b
    assert set(sa & sb) == a & b
    assert set(sa.complement(301)) == set(range(301)) - a
    assert (sa <= sb) == (a <= b)
    assert sa.isdisjoint(sb) == a.isdisjoint(b)
    for i in range(-1, 302):
        assert (i in sa) == (i in a)


def test_membership_len_and_ranges() -> None:
    s = IndexSet.parse("1,3-5,7")
    assert 4 in s and 2 not in s and 8 not in s and -1 not in s
    assert len(s) == 5
    assert s.ranges == ((1, 1), (3, 5), (7, 7))
    assert list(s) == [1, 3, 4, 5, 7]
    assert s.first == 1 and s.last == 7
    assert s.take(3) == [1, 3, 4]
    assert str(s.complement(10)) == "0,2,6,8,9"
    assert str(s.clip(5)) == "1,3,4"
    assert repr(s) == "IndexSet.parse('1,3-5,7')"


def test_adjacent_fragments_merge() -> None:
    # valid for the API (strictly increasing), not what the controller writes
    assert str(IndexSet.parse("1-3,4")) == "1-4"
    assert str(IndexSet.parse("0,1,2")) == "0-2"


@pytest.mark.parametrize(
    "garbage",
    [
        "a",
        "1,,2",
        "1-",
        "-1",
        "3-1",
        "2-2",
        "1,1",
        "5,3",
        "1-5,4",
        " 1",
        "1 ",
        "1-2-3",
        "1,",
        "x-3",
    ],
)
def test_rejects_garbage(garbage: str) -> None:
    with pytest.raises(ValueError):
        IndexSet.parse(garbage)


def test_parse_with_completions_rejects_out_of_range() -> None:
    assert len(IndexSet.parse("0-9", completions=10)) == 10
    with pytest.raises(ValueError):
        IndexSet.parse("0-10", completions=10)


def test_lenient_parse_reads_like_the_controller() -> None:
    # corrupted fragments skipped, stop at >= completions, clip range ends
    assert str(IndexSet.parse_lenient("0,x,2-4,8-20,30", 10)) == "0,2-4,8,9"
    assert str(IndexSet.parse_lenient("12,1", 10)) == ""
    assert str(IndexSet.parse_lenient(None, 10)) == ""


@pytest.mark.parametrize(
    "text",
    ["0", "0-4,6", "2-4,8-20,30", "12,1", "5-3,7", "9-9", "0-2,3-5,10", "1,3,5,7,9,11", "00-03"],
)
def test_lenient_parse_of_what_the_controller_writes_reads_as_the_checked_way(text) -> None:
    # Plain digits, "-" and ",": read the quick way. A "+" (Atoi takes it) sends the same
    # text down the fragment-by-fragment way; both must give the same set.
    assert IndexSet.parse_lenient(text, 10) == IndexSet.parse_lenient("+" + text, 10)
    assert IndexSet.parse_lenient(text, 10) == IndexSet.parse_lenient(text.replace("-", "-+"), 10)


def test_none_and_empty() -> None:
    assert IndexSet.parse(None) == IndexSet() == IndexSet.empty()
    assert not IndexSet.parse("")
    assert len(IndexSet()) == 0
    assert str(IndexSet.full(0)) == ""


def test_three_hundred_thousand_completions_stay_small() -> None:
    done = IndexSet.parse("0-149999,150001-299999")
    assert len(done) == 299_999
    assert done.range_count == 2
    failed = IndexSet.from_indexes([150_000])
    assert str(failed.complement(300_000)) == "0-149999,150001-299999"
    everything = done | failed
    assert str(everything) == "0-299999"
    assert everything == IndexSet.full(300_000)
    assert everything.range_count == 1
    assert len(everything.complement(300_000)) == 0
    assert 299_999 in everything and 300_000 not in everything


def test_large_sets_are_fast() -> None:
    # every other index of 300k: 150k ranges, the controller's worst case string
    text = ",".join(str(i) for i in range(0, 300_000, 2))
    t0 = time.perf_counter()
    s = IndexSet.parse(text)
    assert str(s) == text
    assert len(s) == 150_000
    rest = s.complement(300_000)
    assert len(rest) == 150_000 and 1 in rest and 2 not in rest
    assert (s | rest) == IndexSet.full(300_000)
    assert time.perf_counter() - t0 < 2.0


def test_hashable_and_immutable_value() -> None:
    a = IndexSet.parse("1,3-5")
    b = IndexSet([(3, 5), (1, 1)])
    assert a == b and hash(a) == hash(b)
    assert {a: "x"}[b] == "x"


def test_from_indexes_accepts_ranges_and_rejects_negatives() -> None:
    assert str(IndexSet.from_indexes(range(5, 10))) == "5-9"
    assert str(IndexSet.from_indexes(range(0, 10, 3))) == "0,3,6,9"
    with pytest.raises(ValueError):
        IndexSet.from_indexes([-1, 2])
