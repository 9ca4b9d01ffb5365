"""Every WHY against the real controllers: each workload of tests/support/why_workloads.py is
created in its own namespace, and `kubectl batch why` must say why it does not progress (or
when it ends), with the exit code of a stuck (1) or a progressing (0) Job."""

from __future__ import annotations

import json

import pytest
from conftest import kubectl_batch
from support.why_workloads import BY_NAME, SCENARIOS, Scenario, manifests


def why(cluster, namespace: str, *args: str) -> tuple[int, dict]:
    done = kubectl_batch(cluster, namespace, "why", *args, "-o", "json")
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_why_says_what_holds_the_job(cluster, kubectl, namespace, scenario: Scenario):
    kubectl.create(*manifests(scenario))
    if scenario.then is not None:
        scenario.then(kubectl)

    def diagnosed():
        code, out = why(cluster, namespace, f"job/{scenario.job_name}")
        item = out["items"][0]
        codes = {f["code"] for f in item["findings"]}
        return (code, item) if scenario.code in codes and scenario.matches(item["why"]) else None

    code, item = kubectl.wait_for(diagnosed, timeout=90, interval=1, what=scenario.why)
    assert code == (1 if scenario.stuck else 0)
    assert item["stuck"] is scenario.stuck
    whole = " ".join(f["detail"] for f in item["findings"])
    assert scenario.detail in whole

    # The table says the same, and -o wide the whole text.
    done = kubectl_batch(cluster, namespace, "why", scenario.job_name, "-o", "wide")
    header, row = done.stdout.splitlines()[:2]
    assert header.split()[:4] == ["NAME", "STATUS", "COMPLETIONS", "WHY"]
    assert row.startswith(scenario.job_name)
    assert scenario.detail in row


def test_a_job_a_queue_holds_is_resumed_only_with_force(cluster, kubectl, namespace):
    queued = next(s for s in SCENARIOS if s.name == "queued")
    kubectl.create(*manifests(queued))
    done = kubectl_batch(cluster, namespace, "resume", "job/queued")
    assert done.returncode == 1
    assert done.stderr.strip().startswith(f"error: job {namespace}/queued is queued in team-a")
    assert "--force" in done.stderr
    assert kubectl.get("job", "queued")["spec"]["suspend"] is True

    done = kubectl_batch(cluster, namespace, "resume", "job/queued", "--force")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "job.batch/queued resumed"
    assert kubectl.get("job", "queued")["spec"]["suspend"] is False


def test_why_of_a_missing_job_is_one_error_line(cluster, namespace):
    done = kubectl_batch(cluster, namespace, "why", "job/nope")
    assert done.returncode == 1
    assert done.stderr == 'error: jobs.batch "nope" not found\n'


def test_a_healthy_namespace_exits_0(cluster, kubectl, namespace):
    kubectl.create(*manifests(next(s for s in SCENARIOS if s.name == "deadline")))
    kubectl.wait_for(lambda: why(cluster, namespace)[1]["items"], what="the job")
    code, out = why(cluster, namespace)
    assert code == 0
    assert [i["name"] for i in out["items"]] == ["deadline"]


@pytest.mark.asyncio
async def test_the_main_screen_says_why_and_the_detail_says_it_whole(cluster, kubectl, namespace):
    from test_tui import SIZE, cell, make_app, uid_of, until

    from kubectl_batch.tui.screens.job_detail import JobDetailScreen
    from kubectl_batch.tui.widgets.live_table import LiveTable

    kubectl.create(*manifests(BY_NAME["unschedulable-selector"]))
    app = make_app(cluster, namespace)
    async with app.run_test(size=SIZE) as pilot:
        want = BY_NAME["unschedulable-selector"]
        await until(
            pilot,
            lambda: want.matches(cell(app, "jobs", want.name, "why") or ""),
            what=want.why,
        )
        table = app.screen.query_one("#jobs", LiveTable)
        table.focus()
        table.select_uid(uid_of(app, want.name))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, JobDetailScreen), what="detail")

        def header():
            text = str(app.screen.query_one("#header").render())
            return "cannot be scheduled" in text and text

        text = await until(pilot, header, what="the whole text")
        assert "didn't match Pod's node affinity/selector" in text
