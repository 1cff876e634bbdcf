import json

import pytest

from llmdyn._cli.report import open_in_browser


def test_open_in_browser_passes_a_file_uri(tmp_path, monkeypatch):
    import webbrowser

    seen = []
    monkeypatch.setattr(webbrowser, "open", lambda url: seen.append(url) or True)
    page = tmp_path / "report.html"
    page.write_text("<html></html>")
    assert open_in_browser(page) is True
    assert seen == [page.resolve().as_uri()]

    def broken(url):
        raise webbrowser.Error("no runnable browser")

    monkeypatch.setattr(webbrowser, "open", broken)
    assert open_in_browser(page) is False


@pytest.mark.slow
def test_demo_writes_the_report(tmp_path):
    from typer.testing import CliRunner

    from llmdyn.cli import app

    result = CliRunner().invoke(app, ["demo", str(tmp_path / "demo"), "--format", "json"])
    assert result.exit_code == 0, result.output
    page = tmp_path / "demo" / "report.html"
    assert page.is_file()
    assert f"report: {page}" in result.stderr
    text = page.read_text(encoding="utf-8")
    embedded = text.split('id="llmdyn-analysis">', 1)[1].split("</script>", 1)[0]
    assert json.loads(embedded) == json.loads(result.stdout)
