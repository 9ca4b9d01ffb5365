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


# --------------------------------------------------------------------------
# descriptions, findings, one-line errors
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "quoted"),
    [
        (["--schedule", "@hourly\n"], r'"@hourly\n"'),
        (["--schedule", "0 0 * *\n*\n*"], r'"0 0 * *\n*\n*"'),
        (["--schedule", "0\u200b 0 * * *"], r'"0\u200b 0 * * *"'),
        (["--schedule", "0 0 L * *\r"], r'"0 0 L * *\r"'),
        (["--schedule", "\n"], r'"\n"'),
        (["--schedule", "@every 1\u00a0h"], r'"1\u00a0h"'),
        (["--schedule", "0 0 * * *", "--time-zone", "Asia/Seoul\n"], r'"Asia/Seoul\n"'),
        (["--schedule", "0 0 * * *", "--time-zone", "Asia/\u200bSeoul"], r'"Asia/\u200bSeoul"'),
        (["--schedule", "0 0 * * *", "--time-zone", "Europe/Berlin\xa0"], r'"Europe/Berlin\u00a0"'),
        (
            ["--schedule", "* * * * *", "--after", "2026-03-27T00:00:00Z\n"],
            r'"2026-03-27T00:00:00Z\n"',
        ),
    ],
)
def test_an_error_quotes_the_input_as_go_does_and_stays_one_line(capsys, args, quoted):
    code, out, err = run(capsys, *args)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert quoted in err


def test_a_rejected_schedule_gets_the_nearest_supported_form(capsys):
    code, _, err = run(capsys, "--schedule", "0 0 * * 1#1")
    assert code == 1
    assert err.startswith('error: schedule "0 0 * * 1#1": day-of-week field "1#1" is not supported')
    assert "nearest supported form: `0 0 1-7 * *` and exit early unless it is Monday" in err


def test_offline_warns_on_stderr_and_describes_in_json(capsys):
    args = ["--schedule", "0 2 1-7 * 1", "--time-zone", "Asia/Seoul", "--after", AFTER]
    code, out, err = run(capsys, *args)
    assert code == 0
    assert out.splitlines()[-1] == (
        "At 02:00, between day 1 and 7 of the month, or on any Monday (Asia/Seoul)"
    )
    assert err.startswith("Warning: both day fields are restricted, so it fires when EITHER")
    assert err.count("\n") == 1
    code, out, _ = run(capsys, *args, "-o", "json")
    (item,) = json.loads(out)["items"]
    assert item["description"].endswith("or on any Monday (Asia/Seoul)")
    assert [f["code"] for f in item["findings"]] == ["DayFieldsEither"]
    assert run(capsys, *args, "--strict")[0] == 1
    assert run(capsys, "--schedule", "0 2 1-7 * *", "--time-zone", "UTC", "--strict")[0] == 0


def test_live_wide_has_a_description_column_and_warnings_on_stderr(capsys, cluster):
    code, out, err = run(capsys, "-A", "--after", AFTER, "-o", "wide")
    assert code == 0
    header, *rows = out.splitlines()
    assert "DESCRIPTION" in header
    assert rows[1].endswith("At 09:00, Monday through Friday (Europe/Berlin)")
    assert "<invalid>" in rows[2]  # bad: 0 0 L * *
    lines = err.splitlines()
    assert lines[0].startswith(
        "Warning: cronjobs etl/hourly, ml/paused: no spec.timeZone: the kube-controller-manager's"
    )
    assert any(
        line.startswith('error: cronjob etl/bad: schedule "0 0 L * *"')
        and "nearest supported form: `0 0 28-31 * *`" in line
        for line in lines
    )


def test_live_json_items_carry_description_and_findings(capsys, cluster):
    _, out, _ = run(capsys, "-A", "--after", AFTER, "-o", "json")
    items = {i["name"]: i for i in json.loads(out)["items"]}
    assert items["berlin"]["description"] == "At 09:00, Monday through Friday (Europe/Berlin)"
    assert items["berlin"]["findings"] == []
    assert items["bad"]["description"] is None
    assert [f["level"] for f in items["bad"]["findings"]] == ["error"]
    assert [f["code"] for f in items["hourly"]["findings"]] == ["NoTimeZone"]


def test_the_same_warning_for_many_cronjobs_is_one_line(capsys, monkeypatch):
    client = FakeClient([[_cronjob(f"c{i}", f"{i} * * * *") for i in range(5)]])
    monkeypatch.setattr("kubectl_batch.commands.connect.connect", lambda args: client)
    code, _, err = run(capsys, "--after", AFTER)
    assert code == 0
    assert err.splitlines() == [
        "Warning: cronjobs etl/c1, etl/c2, etl/c3 and 2 more: no spec.timeZone: the "  # by next run
        "kube-controller-manager's own zone decides when it fires (UTC on almost every "
        "cluster); set spec.timeZone to be sure"
    ]
