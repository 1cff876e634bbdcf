from llmdyn.cli import app
from typer.testing import CliRunner


def test_help_lists_commands():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("demo", "run", "score", "export", "fit", "simulate", "report", "steer"):
        assert name in result.output


def test_warnings_print_as_one_line_and_errors_exit_2(capsys):
    import warnings

    import pytest
    import typer

    from llmdyn._cli._common import run_cli
    from llmdyn.errors import DataError

    demo = typer.Typer()

    @demo.command()
    def go(bad: bool = False) -> None:
        warnings.warn("left out 3 sessions\n  with one state", UserWarning)
        if bad:
            raise DataError("data.csv: row 2, column 't': not an integer")

    with pytest.raises(SystemExit) as exc:
        run_cli(demo, ["--bad"])
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert err.splitlines() == ["warning: left out 3 sessions with one state",
                                "error: data.csv: row 2, column 't': not an integer"]
