"""``twin matcher serve`` with options it must refuse before it starts: exit 2 and one line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.hostile.support import assert_one_line
from twin.cli.app import app

runner = CliRunner()

BAD_OPTIONS = [
    (["--max-wait-ms", "inf"], "--max-wait-ms"),
    (["--max-wait-ms", "nan"], "--max-wait-ms"),
    (["--max-wait-ms", "-inf"], "--max-wait-ms"),
    (["--max-wait-ms", "1e12"], "--max-wait-ms"),
    (["--max-wait-ms", "-1"], "--max-wait-ms"),
    (["--max-wait-ms", "10001"], "--max-wait-ms"),
    (["--max-body-bytes", "0"], "--max-body-bytes"),
    (["--max-body-bytes", "-5"], "--max-body-bytes"),
    (["--max-body-bytes", str(1 << 40)], "--max-body-bytes"),
    (["--max-request-probes", "0"], "--max-request-probes"),
    (["--max-request-probes", "-1"], "--max-request-probes"),
    (["--max-request-probes", "2048"], "--max-request-probes"),
    (["--max-batch", "0"], "--max-batch"),
    (["--max-queue", "0"], "--max-queue"),
    (["--max-queue", "10"], "--max-queue"),
    (["--threads", "0"], "--threads"),
    (["--threads", "-2"], "--threads"),
    (["--threads", "100000"], "--threads"),
    (["--token", " "], "--token"),
    (["--token", "\t"], "--token"),
    (["--token", " secret"], "--token"),
    (["--token", "secret\n"], "--token"),
    (["--token", "se\x00cret"], "--token"),
    (["--port", "70000"], "--port"),
    (["--port", "-1"], "--port"),
    (["--host", "0.0.0.0"], "--token"),
    (["--synthetic-size", "0"], "--synthetic-size"),
    (["--synthetic-size", "100000000"], "--synthetic-size"),
    (["--backend", "nope"], "--backend"),
]


@pytest.mark.parametrize(("args", "option"), BAD_OPTIONS, ids=lambda a: repr(a))
def test_serve_refuses_bad_options_before_starting(args, option) -> None:
    result = runner.invoke(app, ["matcher", "serve", *args])
    assert result.exit_code == 2, result.output
    line = assert_one_line(result.output)
    assert option in line
