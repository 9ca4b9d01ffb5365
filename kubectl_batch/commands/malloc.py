"""Keep the C allocator from holding on to freed LIST pages (glibc only).

Every LIST page is a few MB of bytes and large dict tables, decoded on four reflector
threads. glibc raises its mmap threshold each time such a block is freed, so later pages
come from per-thread heaps that keep their high-water mark: at 10,000 Jobs that held
about 40 MB the process no longer used. A fixed threshold sends blocks of 128 KiB and
more to mmap, which gives them back to the system when freed. Elsewhere: nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_MMAP_THRESHOLD = -3  # <malloc.h>
THRESHOLD = 128 * 1024  # glibc's initial value; setting it turns off the dynamic raise


def keep_big_blocks_returnable() -> bool:
    """Fix glibc's mmap threshold; False where there is no glibc (macOS, musl, Windows)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, THRESHOLD) == 1
