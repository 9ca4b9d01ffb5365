"""The key footer of every screen, without Textual's watcher leak.

Textual's Footer rebuilds its keys whenever a screen's bindings are refreshed, and each
new ``FooterKey`` binds to the footer's ``compact`` reactive (``data_bind``). The binding
is stored on the footer and only pruned when ``compact`` changes, which it never does, so
every rebuild left the old keys (and their styles and render caches) alive for as long as
the screen: tens of megabytes a minute on a changing cluster (Textualize/textual#6666).
"""

from __future__ import annotations

from textual.widgets import Footer


class KeyFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        prune_dead_watchers(self)


def prune_dead_watchers(observed: object) -> int:
    """Drop the watchers that removed widgets left on ``observed``; how many went."""
    watchers: dict[str, list[tuple[object, object]]] = getattr(observed, "__watchers", {})
    dropped = 0
    for name, entries in watchers.items():
        alive = [(node, cb) for node, cb in entries if getattr(node, "is_attached", True)]
        dropped += len(entries) - len(alive)
        watchers[name][:] = alive
    return dropped
