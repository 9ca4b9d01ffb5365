"""How often the UI's process runs the cyclic garbage collector.

Most of what the UI makes lives as long as it does (the cache's objects, the rows, their
cells, Textual's render caches) and is free of cycles, yet each collection walks it: at
10,000 Jobs a full one took up to 0.1 s, in the middle of putting a change on screen.
"""

from __future__ import annotations

import gc

#: Python's defaults are 700, 10, 10: the young generations are collected less often,
#: and fully only every 20th time.
QUIET_GC_THRESHOLDS = (20_000, 20, 20)


def collect_seldom() -> None:
    gc.set_threshold(*QUIET_GC_THRESHOLDS)
