"""The command line as wiring: each subcommand a Command that owns its arguments, one line
in cli.COMMANDS each, and cheap to import (--help and the shell completion load them all)."""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys

import pytest

from kubectl_batch import cli
from kubectl_batch.commands.command import Command

COMMANDS = [cli.load(ref) for ref in cli.COMMANDS.values()]


def test_every_command_is_one_line_of_the_registry():
    assert all(isinstance(c, Command) for c in COMMANDS)
    names = [c.name for c in COMMANDS]
    assert names == list(cli.COMMANDS)  # each under its own name
    assert {"next-runs", "suspend", "resume", "trigger", "retry-failed", "rerun", "delete"} <= set(
        names
    )


def test_a_registered_command_is_parsed_validated_and_run(monkeypatch, capsys):
    seen = []

    class Echo(Command):
        name = "echo"
        summary = "say the words back"
        examples = (("Say hi", "kubectl batch echo hi"),)

        def add_arguments(self, parser):
            parser.add_argument("words", nargs="+")

        def validate(self, args):
            if args.words == ["bad"]:
                raise ValueError("bad is not a word")
            args.text = " ".join(args.words)

        def run(self, args):
            seen.append((args.text, args.namespace))
            return 0

    monkeypatch.setattr(sys.modules[__name__], "ECHO", Echo(), raising=False)
    monkeypatch.setattr(cli, "COMMANDS", {**cli.COMMANDS, "echo": f"{__name__}:ECHO"})
    assert cli.main(["echo", "hi", "there", "-n", "etl"]) == 0
    assert seen == [("hi there", "etl")]
    assert cli.main(["echo", "bad"]) == 1
    assert capsys.readouterr().err == "error: bad is not a word\n"


def test_building_the_parser_imports_no_client_yaml_or_textual():
    # What `kubectl batch --help` and every completion pay for.
    code = (
        "import sys; from kubectl_batch import cli; cli.build_parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('urllib3', 'yaml', 'textual', 'rich') or m.startswith('kubectl_batch.kube')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_parsing_imports_only_the_command_named():
    # `kubectl batch` (the UI) and each subcommand: every module imported before the first
    # request is on the way to it.
    code = (
        "import sys; from kubectl_batch import cli; p = cli.build_parser(sys.argv[1:]); "
        "p.parse_known_args(sys.argv[1:]); "
        "print(sorted(m for m in sys.modules if m.startswith('kubectl_batch.commands.')))"
    )
    ui = ["kubectl_batch.commands.command", "kubectl_batch.commands.replay"]
    ui.append("kubectl_batch.commands.ui")  # its flags are the top parser's
    for argv, wanted in ((["-A"], ui), (["why", "job/x"], [*ui, "kubectl_batch.commands.why"])):
        done = subprocess.run(
            [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True
        )
        assert done.stdout.strip() == str(wanted), argv


def test_a_command_misspelt_is_told_with_every_name(capsys):
    assert cli.main(["nxt-runs"]) != 0
    err = capsys.readouterr().err
    assert "invalid choice: 'nxt-runs'" in err
    assert all(name in err for name in cli.COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_help_is_written_as_kubectls(command, capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main([command.name, "--help"])
    assert exit.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: kubectl batch {command.name} ")
    assert command.summary and (command.description or command.summary) in out
    assert "\nExamples:\n  # " in out
    assert "--kubeconfig PATH" in out and "-n NS, --namespace NS" in out
    for action in cli.build_parser()._subparsers._group_actions[0].choices[command.name]._actions:
        if action.help != argparse.SUPPRESS:
            assert action.option_strings[0] in out if action.option_strings else True


@pytest.mark.parametrize(
    "line",
    [line for c in COMMANDS for _, line in c.examples] + [line for _, line in cli.EXAMPLES],
)
def test_every_example_is_a_real_command_line(line):
    words = shlex.split(line.replace("source <(", "").rstrip(")").split(" > ")[0])
    assert words[:2] == ["kubectl", "batch"]
    args = cli.build_parser().parse_args(words[2:])
    args.command.validate(args)  # no argument mistake in what we show users


@pytest.mark.parametrize("command", [c.name for c in COMMANDS])
def test_a_flag_mistake_names_the_command_s_own_help(command, capsys):
    assert cli.main([command, "--no-such-flag"]) != 0
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("error: ")
    assert lines[1:] == [f"See 'kubectl batch {command} --help' for usage."]
