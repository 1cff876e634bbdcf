"""Exceptions that carry a message meant for the user.

Every layer raises a subclass of :class:`LlmdynError` for bad input; the CLI
prints its message as one line and exits non-zero, without a traceback.
"""

from __future__ import annotations


class LlmdynError(Exception):
    """An error whose message says what is wrong and how to fix it."""


class DataError(LlmdynError, ValueError):
    """Bad trajectory data: missing columns, non-finite values, gaps, ..."""


class FitError(LlmdynError, ValueError):
    """A fit that cannot be made: too little data, a singular design, ..."""


class ConfigError(LlmdynError, ValueError):
    """A bad experiment configuration or command-line option."""


class BackendError(LlmdynError, RuntimeError):
    """A chat backend that cannot be reached or answered unusably."""


class StoreError(LlmdynError, RuntimeError):
    """A store that cannot be opened, or whose contents are inconsistent."""
