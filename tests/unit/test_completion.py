"""Shell completion as kubectl asks for it: ``kubectl_complete-batch ARGS... PARTIAL``
(cobra's __complete protocol), run as a program, directly and through the real kubectl;
names from a fake API server; a server that never answers costs at most the budget."""

from __future__ import annotations

import os
import pty
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.connect import ROOT, kubeconfig_for, write_kubeconfig
from support.fake_apiserver import cronjob
from support.fake_plugins import calls, exec_user, make_plugin
from support.plugin_bin import answer, write_plugin_bin
from support.plugin_bin import run_with as run

from kubectl_batch.commands import complete as completion
from kubectl_batch.commands.completion import SCRIPTS


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory) -> Path:
    return write_plugin_bin(tmp_path_factory.mktemp("bin"))


def test_subcommands_flags_and_values_as_kubectl_asks(bin_dir, tmp_path):
    home = {"HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "none")}
    done = run(bin_dir, "kubectl_complete-batch", "", env=home)
    words, directive = answer(done.stdout)
    assert {"next-runs", "suspend", "resume", "trigger", "retry-failed", "delete"} <= set(words)
    assert directive == completion.NO_FILE_COMP
    assert "suspend\tsuspend CronJobs" in done.stdout  # with its description
    assert answer(run(bin_dir, "kubectl_complete-batch", "re", env=home).stdout)[0] == [
        "resume",
        "retry-failed",
        "rerun",
        "record",
    ]
    flags = answer(run(bin_dir, "kubectl_complete-batch", "suspend", "--", env=home).stdout)[0]
    assert "--dry-run" in flags and "--namespace" in flags and "--kubeconfig" in flags
    assert "--kind" not in flags  # delete's, not suspend's
    cases = {
        ("next-runs", "-o", ""): ["wide", "json", "yaml"],
        ("delete", "--kind", "c"): ["cronjobs"],
        ("retry-failed", "--dry-run="): ["--dry-run=server", "--dry-run=none"],
        ("suspend", ""): ["cronjob/", "job/"],
        ("trigger", ""): ["cronjob/"],
        ("completion", ""): list(SCRIPTS),
        ("next-runs", "--time-zone", "Europe/Berl"): ["Europe/Berlin"],
        ("--theme", "textual-l"): ["textual-light"],
    }
    for args, expected in cases.items():
        assert answer(run(bin_dir, "kubectl_complete-batch", *args, env=home).stdout)[0] == (
            expected
        ), args
    words, directive = answer(
        run(bin_dir, "kubectl_complete-batch", "suspend", "", env=home).stdout
    )
    assert directive == completion.NO_SPACE | completion.NO_FILE_COMP  # cronjob/ then the name
    # A path: the shell completes file names.
    assert answer(run(bin_dir, "kubectl_complete-batch", "--kubeconfig", "", env=home).stdout) == (
        [],
        completion.DEFAULT,
    )


def test_contexts_come_from_the_kubeconfig_given(bin_dir, tmp_path):
    cfg = write_kubeconfig(
        tmp_path / "cfg",
        "https://127.0.0.1:1",
        {"token": "t"},
        extra_contexts={"prod-eu": {"cluster": "c", "user": "u"}},
    )
    done = run(bin_dir, "kubectl_complete-batch", "--kubeconfig", str(cfg), "--context", "")
    assert answer(done.stdout) == (["prod-eu", "test"], completion.NO_FILE_COMP)


def test_names_from_the_cluster_of_the_flags_typed(bin_dir, tmp_path, api):
    api.cronjobs = [cronjob("nightly-backup"), cronjob("weekly-report")]
    cfg = str(kubeconfig_for(tmp_path, api))
    done = run(
        bin_dir, "kubectl_complete-batch", "suspend", "--kubeconfig", cfg, "-n", "etl", "cronjob/"
    )
    assert answer(done.stdout) == (
        ["cronjob/nightly-backup", "cronjob/weekly-report"],
        completion.NO_FILE_COMP,
    )
    assert done.stderr == ""
    assert api.requests("/cronjobs")[-1].path == "/apis/batch/v1/namespaces/etl/cronjobs"
    # The kind as the user spelled it, names already given left out, `KIND NAME` form too.
    args = ("suspend", "--kubeconfig", cfg, "cj/nightly-backup", "cj/")
    assert answer(run(bin_dir, "kubectl_complete-batch", *args).stdout)[0] == ["cj/weekly-report"]
    args = ("trigger", "--kubeconfig", cfg, "cronjob", "w")
    assert answer(run(bin_dir, "kubectl_complete-batch", *args).stdout)[0] == ["weekly-report"]
    args = ("next-runs", "--kubeconfig", cfg, "-A", "")
    assert answer(run(bin_dir, "kubectl_complete-batch", *args).stdout)[0] == [
        "nightly-backup",
        "weekly-report",
    ]
    assert api.requests("/cronjobs")[-1].path == "/apis/batch/v1/cronjobs"
    # A kind the command does not act on: nothing.
    args = ("retry-failed", "--kubeconfig", cfg, "cronjob/")
    assert answer(run(bin_dir, "kubectl_complete-batch", *args).stdout)[0] == []


def test_label_keys_then_values(bin_dir, tmp_path, api):
    labelled = cronjob("nightly-backup")
    labelled["metadata"]["labels"] = {"team": "etl", "tier": "prod"}
    api.cronjobs = [labelled]
    cfg = str(kubeconfig_for(tmp_path, api))
    done = run(bin_dir, "kubectl_complete-batch", "suspend", "--kubeconfig", cfg, "-l", "")
    assert answer(done.stdout) == (
        ["team=", "tier="],
        completion.NO_SPACE | completion.NO_FILE_COMP,
    )
    done = run(
        bin_dir, "kubectl_complete-batch", "delete", "--kubeconfig", cfg, "-l", "tier=prod,team="
    )
    assert answer(done.stdout)[0] == ["tier=prod,team=etl"]


@pytest.fixture
def silent_server():
    """A server that accepts connections and never says a word (a hung API server)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"https://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def test_a_server_that_never_answers_costs_the_budget_and_prints_nothing(
    bin_dir, tmp_path, silent_server
):
    cfg = write_kubeconfig(tmp_path / "cfg", silent_server, {"token": "t"})
    started = time.monotonic()
    done = run(bin_dir, "kubectl_complete-batch", "suspend", "--kubeconfig", str(cfg), "job/")
    took = time.monotonic() - started
    assert answer(done.stdout) == ([], completion.NO_FILE_COMP)
    assert done.stderr == "" and done.returncode == 0
    assert took < completion.BUDGET + 1.5, took  # the budget, and Python's start


def test_the_budget_holds_in_process(silent_server, tmp_path):
    cfg = write_kubeconfig(tmp_path / "cfg", silent_server, {"token": "t"})
    started = time.monotonic()
    result = completion.complete(["--kubeconfig", str(cfg), "-n", ""], budget=0.5)
    assert result.candidates == []
    assert time.monotonic() - started < 1.0


def test_no_kubeconfig_no_names_no_error(bin_dir, tmp_path):
    env = {"HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "absent")}
    done = run(bin_dir, "kubectl_complete-batch", "suspend", "cronjob/", env=env)
    assert answer(done.stdout) == ([], completion.NO_FILE_COMP)
    assert done.stderr == ""


def test_completing_imports_no_textual():
    code = (
        "import sys; from kubectl_batch.commands.complete import complete; "
        "complete(['']); complete(['--theme', '']); complete(['suspend', '-']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]"


def test_theme_names_are_textuals():
    from textual.theme import BUILTIN_THEMES

    assert completion.theme_names() == sorted(BUILTIN_THEMES)


needs_kubectl = pytest.mark.skipif(not shutil.which("kubectl"), reason="needs kubectl")


@needs_kubectl
def test_through_kubectl(bin_dir, tmp_path, api):
    """kubectl finds kubectl_complete-batch on the PATH and relays its answer."""
    api.cronjobs = [cronjob("nightly-backup")]
    env = {"KUBECONFIG": str(kubeconfig_for(tmp_path, api))}
    done = run(bin_dir, "kubectl", "__complete", "batch", "", env=env)
    words, directive = answer(done.stdout)
    assert "suspend" in words and "next-runs" in words
    assert directive == completion.NO_FILE_COMP
    done = run(bin_dir, "kubectl", "__complete", "batch", "suspend", "cronjob/", env=env)
    assert answer(done.stdout) == (["cronjob/nightly-backup"], completion.NO_FILE_COMP)


def test_bash_script_asks_kubectl_batch(bin_dir, tmp_path):
    """The bash script, sourced in a real bash: what it puts in COMPREPLY."""
    script = tmp_path / "kubectl-batch.bash"
    script.write_text(run(bin_dir, "kubectl-batch", "completion", "bash").stdout)

    def complete(line: str) -> list[str]:
        probe = (
            f"source {script}; COMP_LINE={line!r}; COMP_POINT=${{#COMP_LINE}}; "
            "COMP_WORDS=($COMP_LINE); _kubectl_batch; printf '%s\\n' \"${COMPREPLY[@]}\""
        )
        done = run(bin_dir, "bash", "--norc", "-c", probe, env={"HOME": str(tmp_path)})
        return [w for w in done.stdout.splitlines() if w]

    assert complete("kubectl-batch sus") == ["suspend"]
    assert complete("kubectl-batch next-runs -o ") == ["wide", "json", "yaml"]
    assert complete("kubectl-batch rerun --dry-run=s") == ["server"]  # after bash's `=` break


@pytest.mark.parametrize("shell", sorted(SCRIPTS))
def test_every_script_calls_the_one_protocol(bin_dir, shell):
    done = run(bin_dir, "kubectl-batch", "completion", shell)
    assert done.returncode == 0 and "__complete" in done.stdout and "kubectl-batch" in done.stdout
    bad = run(bin_dir, "kubectl-batch", "completion", "tcsh")
    assert bad.returncode == 1 and bad.stderr.startswith("error: argument shell: invalid choice")


@pytest.mark.skipif(not shutil.which("zsh"), reason="needs zsh")
def test_zsh_script_asks_kubectl_batch(bin_dir, tmp_path):
    """The zsh script in a real zsh, its completion system stubbed: what it offers."""
    script = tmp_path / "kubectl-batch.zsh"
    script.write_text(run(bin_dir, "kubectl-batch", "completion", "zsh").stdout)

    def complete(*words: str) -> list[str]:
        probe = (
            'compdef() { :; }; _describe() { print -l -- "${(@P)4}" "opts:${@:5}"; }; '
            f"_files() {{ print FILES; }}; source {script}; "
            f"words=({' '.join(repr(w) for w in words)}); CURRENT={len(words)}; _kubectl_batch"
        )
        return run(bin_dir, "zsh", "-f", "-c", probe, env={"HOME": str(tmp_path)}).stdout.split(
            "\n"
        )[:-1]

    assert complete("kubectl-batch", "sus") == [
        "suspend:suspend CronJobs (no new runs) or Jobs (their running pods are terminated)",
        "opts:",
    ]
    # No space after cronjob/: -S ''.
    assert complete("kubectl-batch", "suspend", "") == ["cronjob/", "job/", "opts:-S", ""]
    assert complete("kubectl-batch", "--kubeconfig", "") == ["FILES"]


@pytest.mark.skipif(not shutil.which("fish"), reason="needs fish")
def test_fish_script_asks_kubectl_batch(bin_dir, tmp_path):
    script = tmp_path / "kubectl-batch.fish"
    script.write_text(run(bin_dir, "kubectl-batch", "completion", "fish").stdout)

    def complete(line: str) -> list[str]:
        probe = f"source {script}; complete -C {line!r}"
        done = run(bin_dir, "fish", "-N", "-c", probe, env={"HOME": str(tmp_path)})
        return done.stdout.splitlines()

    assert complete("kubectl-batch sus") == [
        "suspend\tsuspend CronJobs (no new runs) or Jobs (their running pods are terminated)"
    ]
    assert complete("kubectl-batch rerun --dry-run=") == ["--dry-run=none", "--dry-run=server"]


def test_a_credential_plugin_gets_no_terminal_and_its_words_stay_out_of_the_prompt(
    bin_dir, tmp_path, api
):
    api.policy.tokens["t"] = "pat"
    api.cronjobs = [cronjob("nightly-backup")]
    plugin = make_plugin(
        tmp_path / "p",
        "device",
        'print("To sign in, open https://example.test/device", file=sys.stderr)\n'
        'answer({"token": "t"})',
    )
    cfg = kubeconfig_for(tmp_path, api, exec_user(plugin))
    terminal, shell_side = pty.openpty()  # completing in a shell: stdin is the terminal
    try:
        done = run(
            bin_dir,
            "kubectl-batch",
            "__complete",
            "trigger",
            "--kubeconfig",
            str(cfg),
            "cronjob/",
            stdin=shell_side,
        )
    finally:
        os.close(terminal)
        os.close(shell_side)
    assert answer(done.stdout) == (["cronjob/nightly-backup"], completion.NO_FILE_COMP)
    assert done.stderr == ""
    (call,) = calls(plugin)
    assert call["tty"] is False and call["info"]["spec"] == {"interactive": False}
