"""Run the ``llmdyn`` entry point in-process and capture what it printed."""

from __future__ import annotations

import pytest

from llmdyn.cli import main


def run_command(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``llmdyn ARGS...``."""
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err
