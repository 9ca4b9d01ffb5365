"""`kubectl batch why`'s arguments: bad ones are one `error:` line and exit 1, before any
connection (the diagnosis itself is tested in test_diagnosis.py and tests/e2e/test_why.py)."""

from __future__ import annotations

import pytest

from kubectl_batch.cli import main
from kubectl_batch.commands.why import _names


def test_jobs_are_named_as_with_kubectl():
    assert _names([]) == []
    assert _names(["jobs"]) == []
    assert _names(["job/a", "job.batch/b"]) == ["a", "b"]
    assert _names(["job", "a", "b"]) == ["a", "b"]
    assert _names(["a", "b"]) == ["a", "b"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cronjob/nightly"], "error: cronjob/nightly is a CronJob: this command acts on a job\n"),
        (["cronjobs"], 'error: "cronjobs": this command acts on jobs\n'),
        (["job/a", "-l", "team=ml"], "error: name Jobs or select them with -l, not both\n"),
        (
            ["job/a", "-A"],
            "error: a Job name cannot be given with -A: name its namespace with -n\n",
        ),
    ],
)
def test_bad_arguments_are_one_error_line(args, message, capsys):
    assert main(["why", *args]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == message
