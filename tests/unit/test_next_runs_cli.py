"""`kubectl batch next-runs --schedule ...`: offline, as users and scripts see it."""

from __future__ import annotations

import json

import pytest
import yaml

from kubectl_batch.cli import main

AFTER = "2026-03-27T00:00:00Z"


def run(capsys, *args):
    code = main(["next-runs", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_is_the_documented_shape(capsys):
    code, out, _ = run(
        capsys,
        "--schedule",
        "0 9 * * 1-5",
        "--time-zone",
        "Europe/Berlin",
        "--after",
        AFTER,
        "--count",
        "3",
        "-o",
        "json",
    )
    assert code == 0
    assert json.loads(out) == {
        "items": [
            {
                "namespace": None,
                "name": None,
                "schedule": "0 9 * * 1-5",
                "timeZone": "Europe/Berlin",
                "suspend": False,
                "nextRuns": [
                    "2026-03-27T08:00:00Z",
                    "2026-03-30T07:00:00Z",
                    "2026-03-31T07:00:00Z",
                ],
                "description": "At 09:00, Monday through Friday (Europe/Berlin)",
                "findings": [],
            }
        ]
    }


def test_yaml_carries_the_same_data(capsys):
    _, as_json, _ = run(capsys, "--schedule", "@hourly", "--after", AFTER, "-o", "json")
    _, as_yaml, _ = run(capsys, "--schedule", "@hourly", "--after", AFTER, "-o", "yaml")
    assert yaml.safe_load(as_yaml) == json.loads(as_json)


def test_table_shows_local_times_with_offsets(capsys):
    code, out, _ = run(
        capsys, "--schedule", "0 9 * * 1-5", "--time-zone", "Europe/Berlin", "--after", AFTER
    )
    header, row, words = out.splitlines()
    assert header.split() == ["SCHEDULE", "TIMEZONE", "NEXT", "RUNS"]
    assert words == "At 09:00, Monday through Friday (Europe/Berlin)"
    assert "2026-03-27 09:00+01:00, 2026-03-30 09:00+02:00, 2026-03-31 09:00+02:00" in row
    assert "in 8h" in row


def test_fire_times_are_strictly_after(capsys):
    _, out, _ = run(
        capsys,
        "--schedule",
        "0 0 * * *",
        "--after",
        "2026-03-27T00:00:00Z",
        "--count",
        "1",
        "-o",
        "json",
    )
    assert json.loads(out)["items"][0]["nextRuns"] == ["2026-03-28T00:00:00Z"]


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--schedule", "0 0 L * *"], '"L"'),
        (["--schedule", "0 0 * * 7"], "day-of-week"),
        (["--schedule", "0 0 0 * * *"], "5 fields"),
        (["--schedule", "TZ=UTC 0 0 * * *"], "TZ"),
        (["--schedule", "0 0 * * *", "--time-zone", "Mars/Base"], "Mars/Base"),
        (["--schedule", "0 0 30 2 *"], "never fires within five years"),
        (["--schedule", "* * * * *", "--after", "tomorrow"], "RFC 3339"),
        (["--schedule", "* * * * *", "--count", "0"], "--count"),
        (["--schedule", "* * * * *", "-o", "xml"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(capsys, args, needle):
    code, out, err = run(capsys, *args)
    assert code == 1
    assert out == ""
    assert err.startswith("error: ") and needle in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------
# live: one paginated LIST (a fake client here; tests/e2e has the real one)
# --------------------------------------------------------------------------


def _cronjob(name, schedule, namespace="etl", **spec):
    return {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "creationTimestamp": AFTER,  # nothing missed yet
        },
        "spec": {"schedule": schedule, **spec},
        "status": {},
    }


class FakeClient:
    def __init__(self, pages):
        self.pages = pages
        self.config = type("Config", (), {"namespace": "etl"})()
        self.asked = []

    def list_pages(self, path, params=None, limit=500, prepare=None):
        self.asked.append((path, params))
        yield from ({"metadata": {}, "items": items} for items in self.pages)


@pytest.fixture
def cluster(monkeypatch):
    pages = [
        [_cronjob("hourly", "0 * * * *"), _cronjob("bad", "0 0 L * *")],
        [
            _cronjob("berlin", "0 9 * * 1-5", timeZone="Europe/Berlin"),
            _cronjob("paused", "*/5 * * * *", namespace="ml", suspend=True),
        ],
    ]
    client = FakeClient(pages)
    monkeypatch.setattr("kubectl_batch.commands.connect.connect", lambda args: client)
    return client


def test_live_lists_every_page_and_sorts_by_next_run(capsys, cluster):
    code, out, _ = run(capsys, "-A", "-l", "team=etl", "--after", AFTER, "-o", "json")
    assert code == 0
    items = json.loads(out)["items"]
    assert [(i["name"], i["state"]) for i in items] == [
        ("hourly", "scheduled"),
        ("berlin", "scheduled"),
        ("bad", "invalid"),
        ("paused", "suspended"),
    ]
    assert items[0]["nextRuns"][:2] == ["2026-03-27T01:00:00Z", "2026-03-27T02:00:00Z"]
    assert cluster.asked == [("/apis/batch/v1/cronjobs", {"labelSelector": "team=etl"})]


def test_live_names_pick_cronjobs_and_report_the_missing(capsys, cluster):
    code, out, err = run(capsys, "berlin", "absent", "berlin", "--after", AFTER, "-o", "json")
    assert code == 1
    assert [i["name"] for i in json.loads(out)["items"]] == ["berlin"]
    assert err == 'error: cronjobs.batch "absent" not found\n'
    assert cluster.asked[0][0] == "/apis/batch/v1/namespaces/etl/cronjobs"


def test_live_table(capsys, cluster):
    code, out, _ = run(capsys, "-A", "--after", AFTER)
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split()[:3] == ["NAMESPACE", "NAME", "SCHEDULE"]
    assert [r.split()[1] for r in rows] == ["hourly", "berlin", "bad", "paused"]
    assert "2026-03-27 09:00+01:00" in rows[1] and "<invalid>" in rows[2]
    assert "<suspended>" in rows[3]
