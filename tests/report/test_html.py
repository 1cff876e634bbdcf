import base64
import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from llmdyn.report._render import fmt_number


class _Page(HTMLParser):
    """Tables by data-table key (rows of cell text), figures by key, and the embedded JSON."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.figures: dict[str, str] = {}
        self.script = ""
        self._table = self._figure = None
        self._cell: list[str] | None = None
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "data-table" in a:
            self._table = a["data-table"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        elif tag == "figure":
            self._figure = a.get("data-figure")
        elif tag == "img" and self._figure:
            self.figures[self._figure] = a["src"]
        elif tag == "script" and a.get("id") == "llmdyn-analysis":
            self._in_script = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "figure":
            self._figure = None
        elif tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._in_script:
            self.script += data


@pytest.fixture(scope="module")
def page(written_report):
    p = _Page()
    p.feed(written_report.text)
    return p


def _rows(table):
    header, *body = table
    return {row[0]: dict(zip(header, row)) for row in body}


def test_embedded_and_json_file_equal_llmdyn_fit(written_report, page):
    fit = written_report.fit
    assert json.loads(page.script) == fit
    assert json.loads(written_report.json.read_text()) == fit
    assert fit["strategies"]["SF"]["intervals"]["n_replicates"] == 60


def test_every_table_and_figure_is_there(written_report, page):
    strategies = list(written_report.fit["strategies"])
    want = {"strategies", "spectrum", "interference-pooled", "Ljung–Box"}
    want |= {f"interference-{s}" for s in strategies} | {f"drift-{s}" for s in strategies}
    want |= {f"residual-correlation-{s}" for s in strategies}
    assert want <= set(page.tables)
    assert set(page.figures) == {"eigenvalues", "trajectories", "phase", "interference", "pareto"}
    for key, src in page.figures.items():
        assert src.startswith("data:image/png;base64,"), key
        png = base64.b64decode(src.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000, key


def test_no_external_references(written_report):
    text = written_report.text
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?\s*(?!data:|#)[^"'\s>]""", text, re.I)
    assert not re.search(r"""url\(\s*["']?\s*(?!data:)""", text, re.I)
    assert not re.search(r"""["'(=]\s*//[\w.-]""", text)
    assert "<link" not in text and "@import" not in text


def test_strategy_numbers_equal_the_fit_json(written_report, page):
    fit = written_report.fit
    summary, spectrum = _rows(page.tables["strategies"]), _rows(page.tables["spectrum"])
    assert set(summary) == set(fit["strategies"])
    for name, s in fit["strategies"].items():
        row = summary[name]
        iv = s["intervals"]["convergence_rate"]
        assert row["sessions"] == str(s["n_sessions"]) and row["transitions"] == str(s["n_transitions"])
        assert row["rate [90% CI]"] == (
            f"{fmt_number(s['convergence_rate'])} [{fmt_number(iv['lower'])}, {fmt_number(iv['upper'])}]")
        assert row["max |1+λ|"] == fmt_number(s["discrete_stability"])
        assert row["R² in-sample"] == fmt_number(s["r2"]["in_sample"])
        assert row["R² CV"] == fmt_number(s["r2"]["cv"])
        assert row["regime"].split(" ")[0] == s["regime"]
        assert ("(overshoot)" in row["regime"]) == bool(s["overshoot"])
        sp = spectrum[name]
        assert sp["Pareto efficiency"] == fmt_number(s["pareto_efficiency"])
        assert sp["equilibrium"] == "(" + ", ".join(f"{v:.2f}" for v in s["equilibrium"]) + ")"
        re_parts = sorted(float(x.split("±")[0]) for x in sp["eigenvalues"].split(", "))
        want = sorted({round(e["re"], 3) for e in s["eigenvalues"]} if any(e["im"] for e in s["eigenvalues"])
                      else [round(e["re"], 3) for e in s["eigenvalues"]])
        assert re_parts == pytest.approx(want, abs=1e-3)


def test_matrix_numbers_equal_the_fit_json(written_report, page):
    fit = written_report.fit
    names = fit["objectives"]
    pooled = _rows(page.tables["interference-pooled"])
    M = np.asarray(fit["interference"]["pooled"])
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if i != j:
                assert pooled[a][b].split(" ")[0] == fmt_number(M[i, j])
    for s, st in fit["strategies"].items():
        drift = _rows(page.tables[f"drift-{s}"])
        A, b = np.asarray(st["A"]), np.asarray(st["b"])
        for i, a in enumerate(names):
            assert [drift[a][c].split(" ")[0] for c in names] == [fmt_number(x) for x in A[i]]
            assert drift[a]["b"].split(" ")[0] == fmt_number(b[i])


def test_readings_are_generated_from_the_numbers(written_report):
    text = written_report.text
    fit = written_report.fit
    for name, s in fit["strategies"].items():
        verb = {"oscillatory": "oscillates toward", "exponential": "converges without oscillating"}.get(s["regime"])
        if verb:
            assert f"{name} {verb}" in text
        assert f"rate {s['convergence_rate']:.2f}" in text


def test_markdown_and_cli_output(written_report):
    md = written_report.markdown.read_text()
    assert md.startswith("# llmdyn report")
    assert "### Strategies" in md and "### Interference (pooled)" in md
    assert f"report: {written_report.html}" in written_report.cli_output


def test_report_cli_bad_input_is_one_line(tmp_path, capsys):
    from llmdyn.cli import main

    bad = tmp_path / "x.csv"
    bad.write_text("session,strategy,t,a\ns1,A,0,1\n")
    with pytest.raises(SystemExit) as exc:
        main(["report", str(bad), "-o", str(tmp_path / "r.html")])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "x.csv" in err and "\n" not in err and "Traceback" not in err
    assert not (tmp_path / "r.html").exists()
