"""Kubernetes label selectors (``-l``), matched locally: what the API server does for a
LIST with ``labelSelector``, for objects that are not on a server (a replayed recording)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

Labels = Mapping[str, str]
Matcher = Callable[[Labels], bool]

_SET = re.compile(r"^\s*(!?)\s*([^\s=!(),]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")
_COMPARE = re.compile(r"^\s*([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)\s*$")


def _terms(selector: str) -> list[str]:
    """Split at the commas outside parentheses."""
    terms, depth, current = [], 0, ""
    for ch in selector:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += ch
    terms.append(current)
    return [t for t in terms if t.strip()]


def _term(text: str) -> Matcher:
    compare = _COMPARE.match(text)
    if compare:
        key, op, value = compare.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    match = _SET.match(text)
    if not match or (match.group(1) and match.group(3)):
        raise ValueError(f'unable to parse requirement: "{text.strip()}"')
    negated, key, op, values = match.groups()
    if op is None:
        return (lambda labels: key not in labels) if negated else (lambda labels: key in labels)
    wanted = {v.strip() for v in values.split(",") if v.strip()}
    if op == "in":
        return lambda labels: labels.get(key) in wanted
    return lambda labels: labels.get(key) not in wanted


def label_matcher(selector: str | None) -> Matcher:
    """``team=ml,tier!=dev,env in (a,b),!legacy`` -> does a label map match it (all terms)?
    An empty selector matches everything. ValueError names a term it cannot read."""
    terms = [_term(t) for t in _terms(selector or "")]
    return lambda labels: all(term(labels) for term in terms)
