"""Fanning one Job template out into one Job per work item (the Kubernetes docs' "parallel
processing using expansions"), checked whole before anything is created.

What is replaced: every ``$ITEM`` (not followed by a letter, digit or ``_``: ``$ITEMS`` is
left alone) and every ``${ITEM}`` in every *string value* of the parsed template, keys
excepted. Unlike the docs' ``sed "s/\\$ITEM/$i/"`` (first occurrence per line, on the text)
every occurrence is replaced, and after the YAML is read, so an item can never change the
YAML's structure.

Items: each must be a valid part of a DNS-1123 name (lower-case letters, digits and ``-``,
starting and ending with a letter or digit), since it goes into the Job's name, and the
Job's name must stay a 63-character DNS-1123 label (it is also a label value on its pods).
Items that are not are refused, all of them named, before anything is created; with
``normalize`` they are lower-cased, each run of other characters becomes ``-`` and leading
and trailing ``-`` go (``Apple Pie`` -> ``apple-pie``); the normalised item is then what
``$ITEM`` means everywhere, and the item as given is kept in the
:data:`ITEM_ANNOTATION` annotation. Two items that end up equal are refused.

Each Job gets the group label on itself and on its pod template, the item annotation and
:data:`HASH_ANNOTATION`, a hash of the body we create: a second run that meets an existing
Job of the same name and hash knows that item is already done (idempotent by name).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]

ITEM_ANNOTATION = "batch.kubectl-batch.io/expand-item"
HASH_ANNOTATION = "batch.kubectl-batch.io/expand-hash"
DEFAULT_GROUP_KEY = "jobgroup"
MAX_NAME = 63
#: Items listed in one error sentence at most.
SHOWN = 10

_PLACEHOLDER = re.compile(r"\$\{ITEM\}|\$ITEM(?![A-Za-z0-9_])")
_DNS_PART = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?\Z")
_LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?\Z")
_PREFIX = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\Z")
_RANGE = re.compile(r"\s*(-?\d+)\s*-\s*(-?\d+)\s*\Z")


class ExpandError(ValueError):
    """The template, the items or the group label cannot be expanded: one sentence."""


@dataclass(frozen=True)
class ExpandedJob:
    item: str  # as given
    name: str  # the Job's name
    body: Obj  # the Job to create


def _shown(values: Iterable[str]) -> str:
    values = list(values)
    text = ", ".join(json.dumps(v) for v in values[:SHOWN])
    return text + (f" and {len(values) - SHOWN} more" if len(values) > SHOWN else "")


# ------------------------------------------------------------------------ items


def parse_item_list(text: str) -> list[str]:
    """``--items apple,banana,cherry``: comma-separated, blanks around each dropped."""
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_item_lines(text: str) -> list[str]:
    """``--items-file``: one item per line; blank lines and ``#`` comment lines skipped."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def parse_range(text: str) -> list[str]:
    """``--range 0-99``: the integers from the first to the last, both included."""
    match = _RANGE.match(text)
    if not match:
        raise ExpandError(f'invalid --range "{text}": use FIRST-LAST, e.g. 0-99')
    first, last = int(match.group(1)), int(match.group(2))
    if first < 0 or last < first:
        raise ExpandError(f'invalid --range "{text}": FIRST-LAST with 0 <= FIRST <= LAST')
    return [str(i) for i in range(first, last + 1)]


def normalize_item(item: str) -> str:
    """``Apple Pie`` -> ``apple-pie``: lower case, runs of other characters -> ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", item.lower()).strip("-")


def check_items(items: list[str], normalize: bool) -> list[str]:
    """The value ``$ITEM`` takes for each item, in order; bad or repeated items refused."""
    if not items:
        raise ExpandError("no items: give --items, --items-file or --range")
    values = [normalize_item(i) if normalize else i for i in items]
    bad = [i for i, v in zip(items, values, strict=True) if not _DNS_PART.match(v)]
    if bad:
        what = "cannot be normalised into" if normalize else "are not valid in"
        hint = "" if normalize else " (or pass --normalize)"
        raise ExpandError(
            f"{len(bad)} item(s) {what} a Job name, which takes lower-case letters, digits "
            f"and '-', starting and ending with a letter or digit: {_shown(bad)}; "
            f"nothing was created{hint}"
        )
    seen: dict[str, str] = {}
    repeated = []
    for item, value in zip(items, values, strict=True):
        if value in seen:
            first = seen[value]
            repeated.append(item if first == item else f"{first}/{item}")
        seen.setdefault(value, item)
    if repeated:
        raise ExpandError(
            f"{len(repeated)} item(s) given more than once"
            f"{' (after normalising)' if normalize else ''}: {_shown(repeated)}; "
            "nothing was created"
        )
    return values


# --------------------------------------------------------------------- template


def has_placeholder(text: str) -> bool:
    return bool(_PLACEHOLDER.search(text))


def substitute(value: Any, item: str) -> Any:
    """``value`` with every ``$ITEM``/``${ITEM}`` in its string values replaced."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda _: item, value)
    if isinstance(value, dict):
        return {k: substitute(v, item) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, item) for v in value]
    return value


def check_template(template: Any) -> Obj:
    """The template, if it can be expanded: one batch/v1 Job whose name holds ``$ITEM``."""
    if not isinstance(template, dict):
        raise ExpandError("the template is not a Kubernetes object (a YAML mapping)")
    kind, api_version = template.get("kind"), template.get("apiVersion")
    if kind != "Job" or api_version != "batch/v1":
        raise ExpandError(
            f"the template is a {api_version or '?'} {kind or '?'}: expand makes batch/v1 Jobs"
        )
    meta = template.get("metadata") or {}
    if meta.get("generateName") and not meta.get("name"):
        raise ExpandError(
            "the template uses metadata.generateName: give metadata.name with $ITEM in it "
            "(a generated name could not tell a re-run which items are done)"
        )
    name = meta.get("name")
    if not isinstance(name, str) or not has_placeholder(name):
        raise ExpandError(
            "the template's metadata.name must contain $ITEM (e.g. process-item-$ITEM): "
            "each item's Job needs its own name"
        )
    return template


def template_base_name(template: Obj) -> str:
    """``process-item-$ITEM`` -> ``process-item``: the name without its placeholder."""
    name = str((template.get("metadata") or {}).get("name") or "")
    base = _PLACEHOLDER.sub("", name)
    return re.sub(r"[-.]{2,}", "-", base).strip("-._")


def parse_group_label(text: str | None, template: Obj) -> tuple[str, str]:
    """``--group-label KEY=VALUE``; default ``jobgroup=<template name without $ITEM>``."""
    if text is None:
        key, value = DEFAULT_GROUP_KEY, template_base_name(template)
        if not value:
            raise ExpandError(
                "the template's name has nothing but $ITEM: give --group-label KEY=VALUE"
            )
    else:
        key, eq, value = text.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or not key:
            raise ExpandError(f'invalid --group-label "{text}": use KEY=VALUE')
    prefix, slash, name = key.rpartition("/")
    if not _LABEL_NAME.match(name) or (slash and not _PREFIX.match(prefix)):
        raise ExpandError(f'invalid group label key "{key}": not a valid label key')
    if not value or not _LABEL_VALUE.match(value) or len(value) > MAX_NAME:
        raise ExpandError(
            f'invalid group label value "{value}": up to 63 letters, digits, "-", "_" or ".", '
            "starting and ending with a letter or digit"
        )
    return key, value


def body_hash(body: Mapping[str, Any]) -> str:
    """What makes two expansions of an item the same Job (the hash annotation left out)."""
    plain = copy.deepcopy(dict(body))
    annotations = (plain.get("metadata") or {}).get("annotations") or {}
    annotations.pop(HASH_ANNOTATION, None)
    canonical = json.dumps(plain, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _labelled(meta: Any, key: str, value: str) -> Obj:
    out: Obj = dict(meta or {})
    out["labels"] = {**(out.get("labels") or {}), key: value}
    return out


def expand(
    template: Obj, items: list[str], group: tuple[str, str], normalize: bool = False
) -> list[ExpandedJob]:
    """One Job per item, every one checked; raises ExpandError naming the bad items."""
    check_template(template)
    values = check_items(items, normalize)
    key, value = group
    jobs: list[ExpandedJob] = []
    bad_names: list[str] = []
    for item, item_value in zip(items, values, strict=True):
        body = substitute(template, item_value)
        meta = _labelled(body.get("metadata"), key, value)
        meta.pop("namespace", None)  # the namespace is the command's
        meta["annotations"] = {**(meta.get("annotations") or {}), ITEM_ANNOTATION: item}
        body["metadata"] = meta
        spec = body.setdefault("spec", {})
        pod_template = spec.setdefault("template", {})
        pod_template["metadata"] = _labelled(pod_template.get("metadata"), key, value)
        name = str(meta.get("name"))
        if not _DNS_LABEL.match(name):
            bad_names.append(name)
            continue
        meta["annotations"][HASH_ANNOTATION] = body_hash(body)
        jobs.append(ExpandedJob(item, name, body))
    if bad_names:
        raise ExpandError(
            f"{len(bad_names)} Job name(s) would not be valid (at most {MAX_NAME} lower-case "
            f"letters, digits and '-'): {_shown(bad_names)}; nothing was created"
        )
    return jobs


def same_expansion(existing: Mapping[str, Any], wanted: ExpandedJob) -> bool:
    """Whether an existing Job of the wanted name is this item's Job made by an earlier run
    of the same template (409 AlreadyExists of it means the item is already done)."""
    annotations = (existing.get("metadata") or {}).get("annotations") or {}
    want = (wanted.body.get("metadata") or {}).get("annotations") or {}
    return bool(want.get(HASH_ANNOTATION)) and annotations.get(HASH_ANNOTATION) == want.get(
        HASH_ANNOTATION
    )
