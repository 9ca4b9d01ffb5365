"""Expansion of a Job template into one Job per item (domain/expand.py), on the
Kubernetes docs' own template."""

from __future__ import annotations

import pytest
import yaml

from kubectl_batch.domain.expand import (
    HASH_ANNOTATION,
    ITEM_ANNOTATION,
    ExpandError,
    expand,
    parse_group_label,
    parse_item_lines,
    parse_range,
    same_expansion,
    substitute,
)

DOCS_TEMPLATE = yaml.safe_load(
    """
apiVersion: batch/v1
kind: Job
metadata:
  name: process-item-$ITEM
  labels:
    jobgroup: jobexample
spec:
  template:
    metadata:
      name: jobexample
      labels:
        jobgroup: jobexample
    spec:
      containers:
      - name: c
        image: busybox:1.28
        command: ["sh", "-c", "echo Processing item $ITEM && sleep 5"]
      restartPolicy: Never
"""
)


def test_docs_template_gives_one_job_per_item_with_the_group_label():
    group = parse_group_label(None, DOCS_TEMPLATE)
    assert group == ("jobgroup", "process-item")
    jobs = expand(DOCS_TEMPLATE, ["apple", "banana", "cherry"], group)
    assert [j.name for j in jobs] == [
        "process-item-apple",
        "process-item-banana",
        "process-item-cherry",
    ]
    body = jobs[1].body
    assert body["metadata"]["labels"] == {"jobgroup": "process-item"}
    assert body["spec"]["template"]["metadata"]["labels"] == {"jobgroup": "process-item"}
    command = body["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command == ["sh", "-c", "echo Processing item banana && sleep 5"]
    assert body["metadata"]["annotations"][ITEM_ANNOTATION] == "banana"
    # The template itself is left as it was.
    assert DOCS_TEMPLATE["metadata"]["name"] == "process-item-$ITEM"


def test_placeholder_forms():
    assert substitute("a-$ITEM-${ITEM}-$ITEMS-$ITEM_X", "x") == "a-x-x-$ITEMS-$ITEM_X"
    # An item cannot change the YAML's structure: it is put into values, never parsed.
    assert substitute({"k": ["$ITEM", 3]}, "a: b") == {"k": ["a: b", 3]}


def test_bad_items_are_all_named_and_refused():
    group = ("jobgroup", "g")
    with pytest.raises(ExpandError, match='2 item.* "Apple", "b_c".*--normalize'):
        expand(DOCS_TEMPLATE, ["ok", "Apple", "b_c"], group)
    jobs = expand(DOCS_TEMPLATE, ["Apple Pie", "b_c"], group, normalize=True)
    assert [j.name for j in jobs] == ["process-item-apple-pie", "process-item-b-c"]
    assert jobs[0].body["metadata"]["annotations"][ITEM_ANNOTATION] == "Apple Pie"
    with pytest.raises(ExpandError, match="more than once"):
        expand(DOCS_TEMPLATE, ["A", "a"], group, normalize=True)
    with pytest.raises(ExpandError, match="Job name"):
        expand(DOCS_TEMPLATE, ["x" * 60], group)


def test_template_must_name_each_job():
    bad = yaml.safe_load(yaml.safe_dump(DOCS_TEMPLATE))
    bad["metadata"]["name"] = "fixed"
    with pytest.raises(ExpandError, match=r"must contain \$ITEM"):
        expand(bad, ["a"], ("k", "v"))


def test_item_sources():
    assert parse_range("0-2") == ["0", "1", "2"]
    assert parse_item_lines("a\n\n# note\n b \n") == ["a", "b"]
    with pytest.raises(ExpandError):
        parse_range("9-1")
    with pytest.raises(ExpandError, match="group label"):
        parse_group_label("x=bad value", DOCS_TEMPLATE)


def test_hash_tells_the_same_expansion_apart_from_another_job():
    group = ("jobgroup", "g")
    (job,) = expand(DOCS_TEMPLATE, ["a"], group)
    (again,) = expand(DOCS_TEMPLATE, ["a"], group)
    assert job.body["metadata"]["annotations"][HASH_ANNOTATION]
    # What the server returns has more (status, defaults, uid): the annotation decides.
    served = {**again.body, "status": {}, "metadata": {**again.body["metadata"], "uid": "u"}}
    assert same_expansion(served, job)
    (other,) = expand(DOCS_TEMPLATE, ["a"], ("jobgroup", "other"))
    assert not same_expansion(other.body, job)
    assert not same_expansion({"metadata": {"name": "process-item-a"}}, job)
