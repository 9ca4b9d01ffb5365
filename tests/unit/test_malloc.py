"""The TUI fixes glibc's mmap threshold (commands/malloc.py): on glibc the call takes."""

from __future__ import annotations

import platform
import sys

import pytest

from kubectl_batch.commands.malloc import keep_big_blocks_returnable


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="glibc only",
)
def test_mmap_threshold_is_fixed_on_glibc():
    assert keep_big_blocks_returnable() is True


@pytest.mark.skipif(sys.platform.startswith("linux"), reason="not Linux")
def test_elsewhere_nothing_is_changed():
    assert keep_big_blocks_returnable() is False
