"""The key footer of every screen, without Textual's watcher leak.

Textual's Footer rebuilds its keys whenever a screen's bindings are refreshed, and each
new ``FooterKey`` binds to the footer's ``compact`` reactive (``data_bind``). The binding
is stored on the footer and only pruned when ``compact`` changes, which it never does, so
every rebuild left the old keys (and their styles and render caches) alive for as long as
the screen: tens of megabytes a minute on a changing cluster (Textualize/textual#6666).
Here dead keys' bindings are pruned on every rebuild, and a refresh that changes no key
rebuilds nothing.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    _composed: tuple[Any, ...] | None = None

    def _keys(self, screen: Screen[Any]) -> tuple[Any, ...]:
        """What :meth:`Footer.compose` makes the keys from."""
        return tuple(
            (key, b.action, b.description, b.show, b.group, enabled, tooltip)
            + (self.app.get_key_display(b),)
            for key, (_, b, enabled, tooltip) in screen.active_bindings.items()
        )

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._composed = self._keys(self.screen)
        yield from super().compose()

    def bindings_changed(self, screen: Screen[Any]) -> None:
        # A refresh of the bindings that changes no key (the selection moved to a row
        # with the same keys) rebuilds nothing: a rebuild makes a dozen widgets, and on a
        # changing cluster it came every few seconds.
        unchanged = self._composed is not None and screen is self.screen and self.is_attached
        if unchanged and self._keys(screen) == self._composed:
            return
        super().bindings_changed(screen)

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
