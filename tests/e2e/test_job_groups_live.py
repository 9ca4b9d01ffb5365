"""Job groups against the real control plane: `kubectl batch expand` (quota refusals,
idempotent re-runs, server dry runs, an API server answering 429), `kubectl batch logs`
(following pods that start later) and the group view's figures. kubectl is the witness."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from conftest import job_manifest, served_logs
from support.throttle import ThrottlingRelay

from kubectl_batch.domain.expand import HASH_ANNOTATION, ITEM_ANNOTATION

ROOT = Path(__file__).resolve().parents[2]
GROUP = "jobgroup"


def cli(kubeconfig, namespace: str, *args: str, timeout: float = 300):
    return subprocess.run(
        [sys.executable, "-m", "kubectl_batch", "--kubeconfig", str(kubeconfig), "-n", namespace]
        + list(args),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )


def template(tmp_path: Path, name: str = "process-item-$ITEM", suspend: bool = True, **spec):
    """The docs' expansion template; suspended Jobs make no pods (the quota counts Jobs)."""
    body = job_manifest(name, labels={GROUP: "jobexample"}, suspend=suspend, **spec)
    body["spec"]["template"]["spec"]["containers"][0]["command"] = [
        "sh",
        "-c",
        "echo Processing item $ITEM && sleep 5",
    ]
    path = tmp_path / "job-tmpl.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


def group_jobs(kubectl, selector: str = "jobgroup=process-item") -> list[dict]:
    return kubectl.items("jobs", "-l", selector)


def quota(kubectl, jobs: int) -> None:
    kubectl.apply(
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "jobs"},
            "spec": {"hard": {"count/jobs.batch": str(jobs)}},
        }
    )
    # Admission refuses every create until the quota controller has filled in the status.
    kubectl.wait_for(
        lambda: kubectl.get("resourcequota", "jobs").get("status", {}).get("hard", {})
        .get("count/jobs.batch") == str(jobs),
        what="quota status",
    )  # fmt: skip


def one_error(done: subprocess.CompletedProcess) -> list[str]:
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("error: "), done.stderr
    return lines


# ------------------------------------------------------------------------- expand


def test_expand_stops_at_the_quota_and_a_rerun_creates_only_the_rest(
    kubectl, cluster, namespace, tmp_path
):
    path = template(tmp_path)
    quota(kubectl, 150)
    first = cli(cluster, namespace, "expand", "-f", str(path), "--range", "0-199")
    lines = one_error(first)
    assert "exceeded quota" in lines[0], lines
    assert lines[0].startswith('error: item "'), lines
    created = [ln.split()[0] for ln in first.stdout.splitlines() if ln.endswith(" created")]
    jobs = group_jobs(kubectl)
    # What was created is listed, and only that exists.
    assert sorted(f"job.batch/{j['metadata']['name']}" for j in jobs) == sorted(created)
    assert 0 < len(jobs) <= 150
    assert f"{200 - len(jobs)} item(s) not created" in first.stderr

    quota(kubectl, 250)
    second = cli(cluster, namespace, "expand", "-f", str(path), "--range", "0-199")
    assert second.returncode == 0, second.stderr
    outcomes = dict(ln.split() for ln in second.stdout.splitlines())
    assert list(outcomes.values()).count("created") == 200 - len(jobs)
    assert {outcomes[c] for c in created} == {"unchanged"}
    jobs = group_jobs(kubectl)
    assert sorted(j["metadata"]["annotations"][ITEM_ANNOTATION] for j in jobs) == sorted(
        str(i) for i in range(200)
    )
    # The group label is on each Job and its pod template; the item went into the command.
    job = kubectl.get("job", "process-item-42")
    assert job["spec"]["template"]["metadata"]["labels"][GROUP] == "process-item"
    command = job["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[-1] == "echo Processing item 42 && sleep 5"


def test_expand_loses_and_duplicates_nothing_through_429s(kubectl, cluster, namespace, tmp_path):
    relay = ThrottlingRelay(cluster, before=0.25, after=0.15)
    try:
        items = [f"item-{i}" for i in range(60)]
        done = cli(
            relay.kubeconfig, namespace, "expand", "-f", str(template(tmp_path)),
            "--items", ",".join(items), "--rate", "50",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert relay.throttled_before > 0 and relay.throttled_after > 0
    finally:
        relay.close()
    jobs = group_jobs(kubectl)
    names = sorted(j["metadata"]["name"] for j in jobs)
    assert names == sorted(f"process-item-{i}" for i in items)
    # Every item told once; one whose create succeeded behind a 429 reads "unchanged".
    told = [ln.split()[0] for ln in done.stdout.splitlines()]
    assert sorted(told) == sorted(f"job.batch/{n}" for n in names)


def test_expand_server_dry_run_checks_every_job_and_creates_none(
    kubectl, cluster, namespace, tmp_path
):
    done = cli(
        cluster, namespace, "expand", "-f", str(template(tmp_path)),
        "--items", "apple,banana,cherry", "--dry-run=server",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.splitlines()) == [
        f"job.batch/process-item-{i} created (server dry run)"
        for i in ("apple", "banana", "cherry")
    ]
    assert group_jobs(kubectl) == []
    # The server's own validation is reached: a bad field is refused for the first item.
    bad = template(tmp_path, parallelism=-1)
    refused = cli(cluster, namespace, "expand", "-f", str(bad), "--items", "a,b", "--dry-run")
    assert "spec.parallelism" in one_error(refused)[0]
    assert group_jobs(kubectl) == []


def test_expand_refuses_bad_items_before_creating_anything(kubectl, cluster, namespace, tmp_path):
    path = template(tmp_path)
    done = cli(cluster, namespace, "expand", "-f", str(path), "--items", "apple,Banana,ch_erry")
    lines = one_error(done)
    assert len(lines) == 1 and '"Banana", "ch_erry"' in lines[0] and "--normalize" in lines[0]
    assert group_jobs(kubectl) == []
    normalized = cli(
        cluster, namespace, "expand", "-f", str(path), "--items", "Banana,ch_erry", "--normalize"
    )
    assert normalized.returncode == 0, normalized.stderr
    job = kubectl.get("job", "process-item-ch-erry")
    assert job["metadata"]["annotations"][ITEM_ANNOTATION] == "ch_erry"
    assert HASH_ANNOTATION in job["metadata"]["annotations"]


def test_expand_never_touches_a_different_job_of_the_same_name(
    kubectl, cluster, namespace, tmp_path
):
    kubectl.create(job_manifest("process-item-b", suspend=True))
    done = cli(cluster, namespace, "expand", "-f", str(template(tmp_path)), "--items", "b")
    assert 'a different Job named "process-item-b" already exists' in one_error(done)[0]
    job = kubectl.get("job", "process-item-b")
    assert GROUP not in (job["metadata"].get("labels") or {})


def test_expand_group_label_flag(kubectl, cluster, namespace, tmp_path):
    done = cli(
        cluster, namespace, "expand", "-f", str(template(tmp_path)), "--items", "x,y",
        "--group-label", "run=r1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(j["metadata"]["name"] for j in group_jobs(kubectl, "run=r1")) == [
        "process-item-x",
        "process-item-y",
    ]


# --------------------------------------------------------------------------- logs

RUN = {"test.kubectl-batch.io/outcome": "run"}


class Output:
    """One of a running command's pipes, read line by line in a thread (as it comes: a
    pipe nobody reads fills and blocks the command)."""

    def __init__(self, stream):
        self.stream, self.lines = stream, []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.stream:
            self.lines.append(line.rstrip("\n"))


def test_group_logs_follow_a_job_that_starts_after_the_stream_began(kubectl, cluster, namespace):
    line = "2026-01-01T00:00:00Z stdout F processing"
    with served_logs(kubectl, namespace, line, follow=True):
        kubectl.create(job_manifest("early", labels={GROUP: "g"}, annotations=RUN))
        proc = subprocess.Popen(
            [sys.executable, "-m", "kubectl_batch", "--kubeconfig", str(cluster), "-n",
             namespace, "logs", "-l", f"{GROUP}=g", "-f"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
            # Ctrl-C as at a terminal: a shell's background job (CI started with `&`)
            # passes SIGINT on ignored, and Python then never raises KeyboardInterrupt.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )  # fmt: skip
        out, errors = Output(proc.stdout), Output(proc.stderr)
        try:
            kubectl.wait_for(
                lambda: "[job/early] processing" in out.lines, what="the first Job's line"
            )
            # Started after the stream began: a new Job of the group, an Indexed one.
            kubectl.create(
                job_manifest(
                    "late", labels={GROUP: "g"}, annotations=RUN, indexed=True,
                    completions=2, parallelism=2,
                ),
                job_manifest("other", labels={GROUP: "not-this-one"}, annotations=RUN),
            )  # fmt: skip
            kubectl.wait_for(
                lambda: {"[job/late[0]] processing", "[job/late[1]] processing"} <= set(out.lines),
                what="the late Job's indexes",
            )
            time.sleep(1)
            assert not any("job/other" in ln for ln in out.lines)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                code = proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise AssertionError(
                    f"Ctrl-C did not end it in 20 s; stdout {out.lines}, stderr {errors.lines}"
                ) from None
        errors.reader.join(5)  # the pipe closed with the process: its last lines
        stderr = "\n".join(errors.lines)
        assert code == 130, stderr
        assert "Traceback" not in stderr, stderr


def test_logs_of_one_index_of_a_job(kubectl, cluster, namespace):
    lines = ("2026-01-01T00:00:00Z stdout F one", "2026-01-01T00:00:01Z stdout F two")
    with served_logs(kubectl, namespace, *lines):
        kubectl.create(job_manifest("ix", indexed=True, completions=3, parallelism=3))
        kubectl.wait_for(lambda: kubectl.job_condition("ix", "Complete"), what="complete")
        done = cli(cluster, namespace, "logs", "job/ix", "--index", "2", "--prefix")
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == ["[job/ix[2]] one", "[job/ix[2]] two"]
        stamped = cli(cluster, namespace, "logs", "ix", "--index", "0", "--timestamps")
        assert stamped.stdout.splitlines()[0] == "2026-01-01T00:00:00.000000Z one"
        missing = cli(cluster, namespace, "logs", "job/nope")
        assert one_error(missing) == ['error: jobs.batch "nope" not found']


# ---------------------------------------------------------------------- the UI

FAIL = {"test.kubectl-batch.io/outcome": "fail"}


def make_app(cluster: Path, namespace: str):
    from kubectl_batch.kube.client import ApiClient
    from kubectl_batch.kube.config import load
    from kubectl_batch.tui.app import BatchApp, _open_cluster_cache
    from kubectl_batch.tui.scope import Scope

    client = ApiClient(load(kubeconfig=str(cluster), namespace=namespace))
    return BatchApp(
        client=client, scope=Scope(client.config.context, namespace), open_cache=_open_cluster_cache
    )


async def until(pilot, predicate, timeout: float = 60.0, what: str = ""):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        await pilot.pause(0.2)
    raise AssertionError(f"timed out waiting for {what}: {last!r}")


def group_cells(app, value: str) -> dict[str, str] | None:
    from kubectl_batch.tui.widgets.live_table import LiveTable

    table = app.screen.query_one("#groups", LiveTable)
    row = table.rows_by_uid.get(value)
    if row is None:
        return None
    return {c.key: str(getattr(table.get_cell(value, c.key), "plain", table.get_cell(value, c.key)))
            for c in table.columns_spec}  # fmt: skip


@pytest.mark.asyncio
async def test_group_rows_match_kubectl(kubectl, cluster, namespace, tmp_path, monkeypatch):
    from kubectl_batch.tui.screens.groups import GroupJobsScreen, GroupsScreen

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    kubectl.create(
        job_manifest("a-1", labels={GROUP: "a"}, completions=2),
        job_manifest("a-2", labels={GROUP: "a"}),
        job_manifest("a-3", labels={GROUP: "a"}, annotations=FAIL, backoffLimit=0),
        job_manifest("b-1", labels={GROUP: "b"}, annotations=RUN),
    )
    kubectl.wait_for(
        lambda: all(
            kubectl.job_condition(n, "Complete") or kubectl.job_condition(n, "Failed")
            for n in ("a-1", "a-2", "a-3")
        ),
        what="group a finished",
    )
    app = make_app(cluster, namespace)
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: len(app.cache.jobs()) == 4, what="the jobs")
        await pilot.press("G")
        await pilot.pause(0.3)
        await pilot.press("enter")  # the most common key: jobgroup
        await until(pilot, lambda: isinstance(app.screen, GroupsScreen), what="groups")
        await until(pilot, lambda: group_cells(app, "b"), what="group rows")
        cells = group_cells(app, "a")
        witness = kubectl.items("jobs", "-l", f"{GROUP}=a")
        assert cells["jobs"] == str(len(witness)) == "3"
        assert cells["states"] == "2 complete, 1 failed"
        succeeded = sum(j["status"].get("succeeded", 0) for j in witness)
        wanted = sum(j["spec"].get("completions") or 1 for j in witness)
        assert cells["completions"].startswith(f"{succeeded}/{wanted}") and succeeded == 3
        assert cells["failed"] == str(sum(j["status"].get("failed", 0) for j in witness))
        assert cells["eta"] == "done"
        await until(pilot, lambda: group_cells(app, "b")["states"] == "1 running", what="b runs")
        # The key is remembered for the context.
        assert "jobgroup" in (tmp_path / "kubectl-batch" / "groups.yaml").read_text()
        # enter: the group's Jobs; esc: back to the groups.
        app.screen.query_one("#groups").move_cursor(row=0)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, GroupJobsScreen), what="group jobs")
        await until(
            pilot,
            lambda: (
                sorted(r.name for r in app.screen.query_one("#jobs").rows_by_uid.values())
                == ["a-1", "a-2", "a-3"]
            ),
            what="the group's jobs",
        )
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, GroupsScreen), what="back to groups")


@pytest.fixture
def grouped(tmp_path, monkeypatch):
    """The next app opens grouped by jobgroup (as --group-by jobgroup)."""
    from kubectl_batch.tui.screens import groups

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    groups.start_grouped(GROUP)
    yield
    groups.start_grouped(None)


def select_group(app, value: str) -> None:
    app.screen.query_one("#groups").select_uid(value)


def finished(kubectl, *names: str) -> bool:
    return all(
        kubectl.job_condition(n, "Complete") or kubectl.job_condition(n, "Failed") for n in names
    )


@pytest.mark.asyncio
async def test_group_retry_and_delete_touch_only_the_group(kubectl, cluster, namespace, grouped):
    from kubectl_batch.domain.jobs import RETRY_OF_LABEL
    from kubectl_batch.tui.screens.groups import GroupsScreen
    from kubectl_batch.tui.screens.modals import DeletePreviewScreen, DeleteScopeScreen

    kubectl.create(
        job_manifest("a-ok", labels={GROUP: "a"}),
        job_manifest("a-bad", labels={GROUP: "a"}, annotations=FAIL, backoffLimit=0),
        job_manifest("b-bad", labels={GROUP: "b"}, annotations=FAIL, backoffLimit=0),
    )
    kubectl.wait_for(lambda: finished(kubectl, "a-ok", "a-bad", "b-bad"), what="finished")
    app = make_app(cluster, namespace)
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, GroupsScreen), what="grouped")
        await until(
            pilot, lambda: (group_cells(app, "a") or {}).get("states") == "1 complete, 1 failed",
            what="group a",
        )  # fmt: skip
        select_group(app, "a")
        await pilot.press("r")
        await pilot.pause(0.3)
        await pilot.press("y")
        retries = kubectl.wait_for(
            lambda: kubectl.items("jobs", "-l", RETRY_OF_LABEL), what="the retry"
        )
        assert [j["metadata"]["labels"][RETRY_OF_LABEL] for j in retries] == ["a-bad"]
        assert retries[0]["metadata"]["labels"][GROUP] == "a"  # it stays in the group
        await until(
            pilot, lambda: (group_cells(app, "a") or {}).get("jobs") == "3", what="retry shown"
        )
        select_group(app, "a")
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, DeleteScopeScreen), what="delete")
        assert app.screen.query_one("#prompt").value == f"{GROUP}=a"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DeletePreviewScreen), what="preview")
        assert sorted(t.name for t in app.screen.plan.targets) == sorted(
            ["a-ok", "a-bad", retries[0]["metadata"]["name"]]
        )
        await pilot.press("y")
        kubectl.wait_for(
            lambda: not kubectl.items("jobs", "-l", f"{GROUP}=a"), what="group a deleted"
        )
    assert [j["metadata"]["name"] for j in kubectl.items("jobs")] == ["b-bad"]


@pytest.mark.asyncio
async def test_group_logs_in_the_ui_follow_a_job_started_later(
    kubectl, cluster, namespace, grouped
):
    from kubectl_batch.tui.screens.group_logs import GroupLogsScreen
    from kubectl_batch.tui.screens.groups import GroupsScreen

    with served_logs(kubectl, namespace, "2026-01-01T00:00:00Z stdout F working", follow=True):
        kubectl.create(job_manifest("c-1", labels={GROUP: "c"}, annotations=RUN))
        app = make_app(cluster, namespace)
        async with app.run_test(size=(160, 40)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, GroupsScreen), what="grouped")
            await until(pilot, lambda: group_cells(app, "c"), what="group c")
            select_group(app, "c")
            await pilot.press("l")
            await until(pilot, lambda: isinstance(app.screen, GroupLogsScreen), what="logs")

            def shown():
                return [s.text.rstrip() for s in app.screen.query_one("#log").lines]

            await until(pilot, lambda: "job/c-1 working" in shown(), what="c-1's line")
            kubectl.create(
                job_manifest("c-2", labels={GROUP: "c"}, annotations=RUN),
                job_manifest("d-1", labels={GROUP: "d"}, annotations=RUN),
            )
            await until(pilot, lambda: "job/c-2 working" in shown(), what="c-2's line")
            await pilot.pause(1.0)
            assert not any("d-1" in line for line in shown())
