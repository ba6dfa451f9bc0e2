"""``twin loadtest`` with hostile options: exit 2 and one line, before any load is sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.hostile.support import assert_one_line
from twin.cli.loadtest import app

ROOT = Path(__file__).resolve().parents[2]
PLAZA = str(ROOT / "scenarios" / "small_plaza.toml")
IN = ["--target", "inprocess"]
runner = CliRunner()

BAD = [
    ([*IN, "--rates", "inf"], "--rates"),
    ([*IN, "--rates", "nan"], "--rates"),
    ([*IN, "--rates", "1e12"], "--rates"),
    ([*IN, "--rates", "-0"], "--rates"),
    ([*IN, "--rates", ","], "--rates"),
    ([*IN, "--rates", "100", "--step-s", "inf"], "--step-s"),
    ([*IN, "--rates", "100", "--step-s", "nan"], "--step-s"),
    ([*IN, "--rates", "100", "--step-s", "0"], "--step-s"),
    ([*IN, "--rates", "100", "--step-s", "-1"], "--step-s"),
    ([*IN, "--rates", "100", "--slo-ms", "nan"], "--slo-ms"),
    ([*IN, "--rates", "100", "--slo-ms", "inf"], "--slo-ms"),
    ([*IN, "--rates", "100", "--slo-ms", "0"], "--slo-ms"),
    ([*IN, "--rates", "100", "--slo-ms", "-5"], "--slo-ms"),
    ([*IN, "--rates", "100", "--duration-cap-s", "nan"], "--duration-cap-s"),
    ([*IN, "--rates", "100", "--duration-cap-s", "inf"], "--duration-cap-s"),
    ([*IN, "--rates", "100", "--duration-cap-s", "-1"], "--duration-cap-s"),
    ([*IN, "--rates", "100", "--refine", "-1"], "--refine"),
    ([*IN, "--rates", "100", "--refine", "100000"], "--refine"),
    ([*IN, "--window", "08:00-09:00", "--speed", "inf"], "--speed"),
    ([*IN, "--window", "08:00-09:00", "--speed", "nan"], "--speed"),
    ([*IN, "--window", "08:00-09:00", "--speed", "-1"], "--speed"),
    ([*IN, "--window", "25:00-26:00"], "--window"),
    ([*IN, "--window", "aa"], "--window"),
    ([*IN, "--window", ""], "--window"),
    ([*IN, "--rates", "100", "--seed", "-1"], "--seed"),
    ([*IN, "--rates", "100", "--sender-cpu", "-1"], "--sender-cpu"),
    (["--target", "http://[::1", "--rates", "100"], "--target"),
    (["--target", "http://127.0.0.1:99999", "--rates", "100"], "--target"),
    (["--target", "file:///etc/passwd", "--rates", "100"], "--target"),
    (["--target", "", "--rates", "100"], "--target"),
]


@pytest.mark.parametrize(("args", "option"), BAD, ids=repr)
def test_hostile_loadtest_options_are_one_line_and_exit_2(args, option) -> None:
    result = runner.invoke(app, [PLAZA, *args])
    assert result.exit_code == 2, result.output
    line = assert_one_line(result.stderr)
    assert option in line, line
