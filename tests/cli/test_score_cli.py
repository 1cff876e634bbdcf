"""`llmdyn score`: files, folders, stdin; table and JSON; tasks; errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from llmdyn.cli import app
from llmdyn.objectives import TaskProfile, score_code

runner = CliRunner()
UNSAFE = "import os\n\ndef run(cmd):\n    os.system(cmd)\n"
SAFE = "import subprocess\n\ndef run(cmd: str) -> None:\n    subprocess.run(['echo', cmd], check=True, timeout=5)\n"


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text(UNSAFE)
    (tmp_path / "pkg" / "sub" / "b.py").write_text(SAFE)
    (tmp_path / "pkg" / "notes.txt").write_text("not python")
    return tmp_path / "pkg"


def test_json_per_file_scores_and_findings(tmp_path: Path) -> None:
    folder = _tree(tmp_path)
    res = runner.invoke(app, ["score", str(folder), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    paths = [Path(f["path"]).name for f in doc["files"]]
    assert paths == ["a.py", "b.py"]
    a = doc["files"][0]
    assert a["scores"] == score_code(UNSAFE).values
    assert any(f["rule"] == "SEC005" and f["line"] == 4 for f in a["findings"])
    assert doc["task"] is None


def test_table_lists_files_and_penalties(tmp_path: Path) -> None:
    f = tmp_path / "x.py"
    f.write_text(UNSAFE)
    res = runner.invoke(app, ["score", str(f)])
    assert res.exit_code == 0, res.output
    assert "security" in res.stdout and "x.py" in res.stdout
    assert "SEC005" in res.stdout and f"{f}:4" in res.stdout


def test_stdin(tmp_path: Path) -> None:
    res = runner.invoke(app, ["score", "-", "--format", "json"], input=UNSAFE)
    assert res.exit_code == 0, res.output
    (only,) = json.loads(res.stdout)["files"]
    assert only["path"] == "<stdin>" and only["scores"] == score_code(UNSAFE).values


def test_bundled_task_conditions_functionality(tmp_path: Path) -> None:
    f = tmp_path / "x.py"
    f.write_text(SAFE)
    res = runner.invoke(app, ["score", str(f), "--task", "zip_import", "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["task"]["id"] == "zip_import" and doc["task"]["expected_lines"]
    expected = score_code(SAFE, TaskProfile("zip_import", doc["task"]["expected_lines"])).values
    assert doc["files"][0]["scores"] == expected


def test_expected_lines_for_a_task_of_your_own(tmp_path: Path) -> None:
    f = tmp_path / "x.py"
    f.write_text(SAFE)
    res = runner.invoke(app, ["score", str(f), "--task", "mine", "--expected-lines", "5", "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["task"] == {"id": "mine", "expected_lines": 5, "tags": []}
    assert doc["files"][0]["scores"] == score_code(SAFE, TaskProfile("mine", 5)).values


def test_unknown_task_and_missing_file_are_one_line_errors(tmp_path: Path) -> None:
    f = tmp_path / "x.py"
    f.write_text(SAFE)
    res = runner.invoke(app, ["score", str(f), "--task", "nope"])
    assert res.exit_code == 2 and "unknown task 'nope'" in res.output and "--expected-lines" in res.output
    res = runner.invoke(app, ["score", str(tmp_path / "missing.py")])
    assert res.exit_code == 2 and "missing.py" in res.output and "Traceback" not in res.output


def test_bad_input_file_still_scores(tmp_path: Path) -> None:
    f = tmp_path / "bad.py"
    f.write_bytes(b"def f(:\n\xff\x00\n")
    res = runner.invoke(app, ["score", str(f), "--format", "json"])
    assert res.exit_code == 0, res.output
    rules = {x["rule"] for x in json.loads(res.stdout)["files"][0]["findings"]}
    assert {"INP002", "INP003", "INP004"} <= rules
