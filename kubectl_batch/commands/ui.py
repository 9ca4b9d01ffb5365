"""`kubectl batch`: check the cluster answers, then open the terminal UI."""

from __future__ import annotations

import argparse
from functools import partial

from kubectl_batch.commands.connect import connect


def run(args: argparse.Namespace) -> int:
    from kubectl_batch.commands import replay

    if replay.wanted(args):
        return replay.run(args)
    client = connect(args)
    client.server_version()  # fail here, in one sentence, rather than inside the UI
    from kubectl_batch.commands.malloc import keep_big_blocks_returnable
    from kubectl_batch.tui.app import run_app

    keep_big_blocks_returnable()

    return run_app(client, args, partial(connect, args))
