from llmdyn.cli import app
from typer.testing import CliRunner


def test_help_lists_commands():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("demo", "run", "score", "export", "fit", "simulate", "report", "steer"):
        assert name in result.output
