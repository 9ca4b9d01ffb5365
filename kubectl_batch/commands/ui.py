"""`kubectl batch`: check the cluster answers, then open the terminal UI."""

from __future__ import annotations

import argparse
from functools import partial

from kubectl_batch.commands.connect import connect


def run(args: argparse.Namespace) -> int:
    client = connect(args)
    client.server_version()  # fail here, in one sentence, rather than inside the UI
    from kubectl_batch.commands.malloc import keep_big_blocks_returnable
    from kubectl_batch.tui.app import run_app
    from kubectl_batch.tui.screens.groups import start_grouped

    keep_big_blocks_returnable()
    start_grouped(getattr(args, "group_by", None))

    return run_app(client, args, partial(connect, args))
