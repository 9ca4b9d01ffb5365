"""`kubectl batch`: check the cluster answers, then open the terminal UI."""

from __future__ import annotations

import argparse

from kubectl_batch.commands import replay
from kubectl_batch.commands.command import Command, completes


class Ui(Command):
    """What `kubectl batch` without a subcommand runs: its flags sit on the top parser."""

    name = ""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        completes(
            parser.add_argument(
                "--theme",
                metavar="NAME",
                help="the UI's colour theme, remembered for next time (e.g. textual-light; "
                "the command palette, ctrl+p, lists them all)",
            ),
            "themes",
        )
        completes(
            parser.add_argument(
                "--group-by",
                metavar="KEY",
                default=None,
                help="open the UI with the Jobs grouped by this label key (G in the UI)",
            ),
            "labels",
        )
        replay.add_replay_flags(parser)

    def validate(self, args: argparse.Namespace) -> None:
        args.replaying = replay.wanted(args)
        if args.theme is not None:
            from kubectl_batch.tui.themes import check_theme

            check_theme(args.theme)

    def run(self, args: argparse.Namespace) -> int:
        if args.replaying:
            return replay.run(args)
        from functools import partial

        from kubectl_batch.commands.connect import connect
        from kubectl_batch.tui.collector import collect_seldom

        collect_seldom()  # from the start: at 1,000 Jobs collections were 4 % of it
        client = connect(args)
        client.server_version()  # fail here, in one sentence, rather than inside the UI
        from kubectl_batch.commands.malloc import keep_big_blocks_returnable
        from kubectl_batch.kube.cache import ClusterCache
        from kubectl_batch.tui.scope import scope_of

        keep_big_blocks_returnable()
        # The LISTs go out now, while Textual and the screens are imported (~0.3 s).
        scope = scope_of(client, args)
        cache = ClusterCache(
            client, scope.namespace, scope.selector, later_waits_for_screen=True
        ).start()
        try:
            from kubectl_batch.tui.app import run_app
            from kubectl_batch.tui.screens.groups import start_grouped

            start_grouped(args.group_by)
            return run_app(client, args, partial(connect, args), started=cache)
        finally:
            cache.stop()


COMMAND = Ui()
