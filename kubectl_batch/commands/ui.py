"""`kubectl batch`: check the cluster answers, then open the terminal UI."""

from __future__ import annotations

import argparse

from kubectl_batch.commands.command import Command


class Ui(Command):
    """What `kubectl batch` without a subcommand runs: its flags sit on the top parser."""

    name = ""

    def run(self, args: argparse.Namespace) -> int:
        from functools import partial

        from kubectl_batch.commands.connect import connect

        client = connect(args)
        client.server_version()  # fail here, in one sentence, rather than inside the UI
        from kubectl_batch.commands.malloc import keep_big_blocks_returnable
        from kubectl_batch.tui.app import run_app

        keep_big_blocks_returnable()

        return run_app(client, args, partial(connect, args))


COMMAND = Ui()
