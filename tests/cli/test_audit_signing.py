"""``twin audit keygen``, ``twin run --signing-key`` and ``twin audit verify --public-key``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from twin.cli.app import app, sign_run_ledger
from twin.response.ledger import LEDGER_FILE, Ledger
from twin.response.signing import CHECKPOINTS_FILE, load_private_key
from twin.results.publish import run_scenario
from twin.results.schema import MANIFEST
from twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
OVERRIDES = ["crowd.window_start='07:00'", "crowd.window_end='07:40'", "pipeline.timing_repeats=2"]
runner = CliRunner()


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    result = runner.invoke(app, ["audit", "keygen", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, keys: Path) -> tuple[Path, Path]:
    scenario = load_scenario(ROOT / "scenarios" / "small_plaza.toml", overrides=OVERRIDES)
    base = tmp_path_factory.mktemp("signed")
    key = load_private_key(keys / "ledger-signing.key")
    signed = base / "signed"
    run_scenario(scenario, out=signed, extra=sign_run_ledger(key))
    unsigned = base / "unsigned"
    shutil.copytree(signed, unsigned)
    (unsigned / CHECKPOINTS_FILE).unlink()
    return signed, unsigned


def _verify(run: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["audit", "verify", str(run), *extra])
    return result.exit_code, result.output


def _forge(run: Path, tmp_path: Path) -> Path:
    """Change one entry, recompute every hash and the manifest's head: a careful forger."""
    copy = tmp_path / "forged"
    shutil.copytree(run, copy)
    entries = [json.loads(line) for line in (copy / LEDGER_FILE).read_text().splitlines()]
    entries[1]["time_s"] += 1.0
    ledger = Ledger()
    for entry in entries:
        ledger.append(time_s=entry["time_s"], kind=entry["kind"], data=entry["data"])
    (copy / LEDGER_FILE).write_bytes(ledger.to_bytes())
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest["response"]["ledger"]["head_sha256"] = ledger.head_sha256
    (copy / MANIFEST).write_text(json.dumps(manifest))
    return copy


def test_a_signed_run_verifies_with_the_public_key(runs, keys) -> None:
    code, output = _verify(runs[0], "--public-key", str(keys / "ledger-signing.pub"))
    assert code == 0 and "signed" in output and "checked against the key given" in output


def test_an_unsigned_run_is_intact_but_unsigned(runs, keys) -> None:
    code, output = _verify(runs[1])
    assert code == 0 and "intact but unsigned" in output
    code, output = _verify(runs[1], "--public-key", str(keys / "ledger-signing.pub"))
    assert code == 1 and "unsigned" in output


def test_a_careful_forgery_passes_the_chain_but_fails_the_signature(runs, keys, tmp_path) -> None:
    forged = _forge(runs[0], tmp_path)
    code, output = _verify(forged, "--public-key", str(keys / "ledger-signing.pub"))
    assert code == 1 and "changed after signing" in output
    code, output = _verify(forged)  # even without the key, the signed root no longer fits
    assert code == 1
    (forged / CHECKPOINTS_FILE).unlink()  # dropping the signatures does not help either
    code, output = _verify(forged, "--public-key", str(keys / "ledger-signing.pub"))
    assert code == 1 and "unsigned" in output


def test_another_key_is_refused(runs, tmp_path) -> None:
    assert runner.invoke(app, ["audit", "keygen", "--out", str(tmp_path)]).exit_code == 0
    code, output = _verify(runs[0], "--public-key", str(tmp_path / "ledger-signing.pub"))
    assert code == 1 and "another key" in output


@pytest.mark.parametrize("content", [b"", b"junk", b"-----BEGIN PUBLIC KEY-----\n"])
def test_bad_key_files_exit_2_before_anything_runs(tmp_path, content) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_bytes(content)
    result = runner.invoke(app, ["run", "--signing-key", str(bad), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "--signing-key" in result.output
    assert not (tmp_path / "r").exists()
    result = runner.invoke(app, ["audit", "verify", str(tmp_path), "--public-key", str(bad)])
    assert result.exit_code == 2 and "--public-key" in result.output
