"""`llmdyn export`."""

from __future__ import annotations

from ._common import fail


def command() -> None:
    """Not implemented yet."""
    fail("llmdyn export is not implemented yet")
