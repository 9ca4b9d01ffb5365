"""`kubectl batch next-runs -f`: CronJobs of manifests checked offline, for CI."""

from __future__ import annotations

import io
import json

import pytest
import yaml

from kubectl_batch.cli import main

AFTER = "2026-12-02T00:00:00Z"

FIRST_MONDAY = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: first-monday
  namespace: etl
spec:
  schedule: "0 2 1-7 * 1"
  timeZone: Asia/Seoul
  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: []}}}}
"""
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n"
LAST_DAY = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: last-day}
spec: {schedule: "0 0 L * *", timeZone: UTC}
"""
CLEAN = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: clean}
spec: {schedule: "0 9 * * 1-5", timeZone: Europe/Berlin}
"""


def run(capsys, *args):
    code = main(["next-runs", "--after", AFTER, *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "cron.yaml").write_text(
        FIRST_MONDAY + "---\n" + CONFIGMAP + "---\n" + LAST_DAY
    )
    (tmp_path / "app" / "list.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": [yaml.safe_load(CLEAN)]})
    )
    (tmp_path / "README.md").write_text("kind: CronJob\n")  # not a manifest suffix
    return tmp_path


def test_a_directory_is_read_recursively_and_a_rejected_cronjob_fails(capsys, tree):
    code, out, err = run(capsys, "-f", str(tree))
    assert code == 1
    header, *rows = out.splitlines()
    assert header.split()[:3] == ["FILE", "NAME", "SCHEDULE"]
    assert [r.split()[1] for r in rows] == ["first-monday", "last-day", "clean"]
    assert rows[0].startswith(f"{tree}/app/cron.yaml:1 ")
    assert rows[0].endswith(
        "At 02:00, between day 1 and 7 of the month, or on any Monday (Asia/Seoul)"
    )
    assert "2026-12-03 02:00+09:00" in rows[0]
    assert "<invalid>" in rows[1] and rows[1].startswith(f"{tree}/app/cron.yaml:16 ")
    assert rows[2].startswith(f"{tree}/app/list.json:1 ")
    lines = err.splitlines()
    assert lines[0].startswith(
        f"Warning: {tree}/app/cron.yaml:1 (document 1) cronjob/first-monday: both day fields"
    )
    assert lines[1].startswith(
        f'error: {tree}/app/cron.yaml:16 (document 3) cronjob/last-day: schedule "0 0 L * *"'
    )
    assert "nearest supported form: `0 0 28-31 * *`" in lines[1]
    assert len(lines) == 2  # clean has nothing to say; the ConfigMap is skipped


def test_warnings_pass_unless_strict(capsys, tmp_path):
    path = tmp_path / "cron.yaml"
    path.write_text(FIRST_MONDAY)
    assert run(capsys, "-f", str(path))[0] == 0
    assert run(capsys, "-f", str(path), "--strict")[0] == 1
    path.write_text(CLEAN)
    assert run(capsys, "-f", str(path), "--strict")[0] == 0


def test_stdin_and_repeated_files(capsys, tmp_path, monkeypatch):
    path = tmp_path / "clean.yaml"
    path.write_text(CLEAN)
    monkeypatch.setattr("sys.stdin", io.StringIO(FIRST_MONDAY + "---\n---\n" + LAST_DAY))
    code, out, _ = run(capsys, "-f", "-", "-f", str(path), "-o", "json")
    assert code == 1
    data = json.loads(out)
    assert data["errors"] == []
    items = data["items"]
    assert [(i["file"], i["document"], i["name"], i["valid"]) for i in items] == [
        ("<stdin>", 1, "first-monday", True),
        ("<stdin>", 3, "last-day", False),
        (str(path), 1, "clean", True),
    ]
    assert items[0]["nextRuns"][0] == "2026-12-02T17:00:00Z"
    assert items[0]["description"].endswith("or on any Monday (Asia/Seoul)")
    assert [f["code"] for f in items[0]["findings"]] == ["DayFieldsEither"]
    assert items[1]["findings"][0]["level"] == "error" and items[1]["description"] is None


def test_list_items_are_positioned(capsys, tmp_path):
    path = tmp_path / "all.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "List",
                "items": [yaml.safe_load(c) for c in (CLEAN, LAST_DAY)],
            }
        )
    )
    code, _, err = run(capsys, "-f", str(path))
    assert code == 1
    assert f"error: {path}:1 (document 1, items[1]) cronjob/last-day: " in err


@pytest.mark.parametrize(
    ("schedule", "zone", "quoted"),
    [
        ("@hourly\\n", "UTC", r'"@hourly\n"'),
        ("0 0 * * *", "Asia/Seoul\\u200b", r'"Asia/Seoul\u200b"'),
        ("0\\t0 * * * *\\u00a0x", "UTC", r'"0\t0 * * * *\u00a0x"'),
    ],
)
def test_a_finding_with_odd_characters_stays_one_line(capsys, tmp_path, schedule, zone, quoted):
    path = tmp_path / "odd.yaml"
    path.write_text(
        "kind: CronJob\nmetadata: {name: odd}\n"
        f'spec: {{schedule: "{schedule}", timeZone: "{zone}"}}\n'
    )
    code, out, err = run(capsys, "-f", str(path))
    assert code == 1
    assert len(out.splitlines()) == 2  # header and one row
    assert err.count("\n") == 1 and err.startswith("error: ") and quoted in err


def test_unreadable_input_is_one_error_line(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CLEAN + "---\nkind: [unclosed\n")
    code, out, err = run(capsys, "-f", str(bad), "-f", str(tmp_path / "absent.yaml"))
    assert code == 1
    assert "clean" in out  # what came before the broken document is still checked
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"error: {bad}:") and "invalid YAML in document 2" in lines[0]
    assert lines[1] == f'error: the path "{tmp_path / "absent.yaml"}" does not exist'


def test_no_cronjobs(capsys, tmp_path):
    path = tmp_path / "cm.yaml"
    path.write_text(CONFIGMAP)
    code, out, err = run(capsys, "-f", str(path))
    assert (code, out, err) == (0, "", "No CronJobs found.\n")


def test_f_does_not_mix_with_schedule_or_cluster_flags(capsys, tmp_path):
    for extra in (["--schedule", "@daily"], ["-A"], ["name"]):
        code, _, err = run(capsys, "-f", str(tmp_path), *extra)
        assert code == 1 and err.startswith("error: ") and err.count("\n") == 1
