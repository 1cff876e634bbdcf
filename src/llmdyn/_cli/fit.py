"""`llmdyn fit`."""

from __future__ import annotations

from ._common import fail


def command() -> None:
    """Not implemented yet."""
    fail("llmdyn fit is not implemented yet")
