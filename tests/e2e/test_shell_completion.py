"""`kubectl batch <TAB>` against the real cluster: the real kubectl asks
kubectl_complete-batch, which names the Jobs, CronJobs, namespaces and labels there."""

from __future__ import annotations

import pytest
from conftest import cronjob_manifest, job_manifest
from support.plugin_bin import answer, run_with, write_plugin_bin

from kubectl_batch.commands.complete import NO_FILE_COMP, NO_SPACE


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory):
    return write_plugin_bin(tmp_path_factory.mktemp("bin"))


def test_names_through_kubectl(cluster, namespace, kubectl, bin_dir):
    nightly = cronjob_manifest("nightly-backup", suspend=True)
    nightly["metadata"]["labels"] = {"team": "etl"}
    kubectl.apply(
        nightly,
        cronjob_manifest("weekly-report", suspend=True),
        job_manifest("render-frames", labels={"team": "vfx"}, suspend=True),
    )
    env = {"KUBECONFIG": str(cluster)}

    def tab(*words: str) -> tuple[list[str], int]:
        done = run_with(bin_dir, "kubectl", "__complete", "batch", *words, env=env)
        assert done.returncode == 0, done.stderr
        return answer(done.stdout)

    assert tab("suspend", "-n", namespace, "cronjob/") == (
        ["cronjob/nightly-backup", "cronjob/weekly-report"],
        NO_FILE_COMP,
    )
    assert tab("retry-failed", "-n", namespace, "job/r") == (["job/render-frames"], NO_FILE_COMP)
    assert tab("next-runs", f"--namespace={namespace}", "w") == (["weekly-report"], NO_FILE_COMP)
    assert namespace in tab("-n", "kb-")[0]
    assert tab("delete", "-n", namespace, "-l", "te") == (["team="], NO_SPACE | NO_FILE_COMP)
    assert tab("delete", "-n", namespace, "-l", "team=") == (
        ["team=etl", "team=vfx"],
        NO_FILE_COMP,
    )
    # The kubeconfig and context typed on the line are the ones asked.
    done = run_with(
        bin_dir,
        "kubectl_complete-batch",
        "suspend",
        "--kubeconfig",
        str(cluster),
        "-n",
        namespace,
        "cj",
        "n",
        env={"KUBECONFIG": "/nonexistent"},
    )
    assert answer(done.stdout) == (["nightly-backup"], NO_FILE_COMP)
