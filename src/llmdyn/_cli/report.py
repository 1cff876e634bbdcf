"""`llmdyn report`."""

from __future__ import annotations

from ._common import fail


def command() -> None:
    """Not implemented yet."""
    fail("llmdyn report is not implemented yet")
