"""`llmdyn score`."""

from __future__ import annotations

from ._common import fail


def command() -> None:
    """Not implemented yet."""
    fail("llmdyn score is not implemented yet")
