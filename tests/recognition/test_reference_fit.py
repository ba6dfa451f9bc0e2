"""The reference quality fitted in a set-up, and the fit file a profile reads."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from twin.errors import ProfileError, TwinInputError
from twin.recognition.faces import FaceModel
from twin.recognition.profile_fit import fit_file_text
from twin.recognition.profiles import AlgorithmProfile, load_profile
from twin.recognition.reference_fit import (
    SETUP_TAGS,
    draw_from_quantiles,
    fit_reference_quality,
    quality_quantiles,
    setup_qualities,
    setup_tpir,
)
from twin.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
PROFILE = AlgorithmProfile(name="p", vendor_threshold=0.6, fmr=1e-7, tpir=0.9)
DIM, SD = 512, 0.08


def _tpir(qualities: np.ndarray, reference: float) -> float:
    model = FaceModel.from_profile(PROFILE, dim=DIM, genuine_score_sd=SD)
    return setup_tpir(
        qualities,
        reference,
        threshold_cosine=model.threshold_cosine,
        genuine_mean_at_reference=model.groups[0].genuine_mean_at_reference,
        genuine_score_sd=SD,
    )


def test_the_fitted_reference_reproduces_the_tpir_in_the_set_up() -> None:
    qualities = np.random.default_rng(1).uniform(0.4, 0.9, 2000)
    fitted = fit_reference_quality(PROFILE, qualities, dim=DIM, genuine_score_sd=SD)
    assert _tpir(qualities, fitted) == pytest.approx(0.9, abs=1e-4)
    # Poorer captures in the set-up mean the same TPIR was reached at a lower reference quality.
    poorer = fit_reference_quality(PROFILE, qualities * 0.6, dim=DIM, genuine_score_sd=SD)
    assert poorer < fitted
    # Walkers never captured are misses: the fit must reach further to make up for them.
    missed = np.where(np.arange(2000) % 20 == 0, 0.0, qualities)
    assert fit_reference_quality(PROFILE, missed, dim=DIM, genuine_score_sd=SD) < fitted


def test_a_set_up_that_captures_too_few_walkers_is_refused() -> None:
    qualities = np.where(np.arange(100) < 20, 0.0, 0.8)  # 80% captured, TPIR 90% asked
    with pytest.raises(TwinInputError, match=r"captures 80\.0% of its walkers"):
        fit_reference_quality(PROFILE, qualities, dim=DIM, genuine_score_sd=SD)


def test_quantiles_describe_the_qualities_they_came_from() -> None:
    rng = np.random.default_rng(2)
    qualities = np.concatenate([np.zeros(100), rng.uniform(0.3, 0.9, 900)])
    drawn = draw_from_quantiles(rng, quality_quantiles(qualities), 20_000)
    assert np.median(drawn) == pytest.approx(np.median(qualities), abs=0.03)
    assert drawn.min() >= 0.0 and drawn.max() <= 0.9


def test_the_set_up_scenario_gives_each_variant_its_walkers_qualities() -> None:
    scenario = load_scenario(
        ROOT / "scenarios/calibration/npl_2023_setup.toml",
        overrides=["crowd.window_end='12:10'"],
    )
    walkers = setup_qualities(scenario, seed=3)
    assert set(walkers.by_tag) == set(SETUP_TAGS)
    assert walkers.walkers > 50
    central, sharp, coarse = (walkers.by_tag[tag] for tag in SETUP_TAGS)
    assert all(len(q) == walkers.walkers for q in (central, sharp, coarse))
    # A 4K camera close in sees faces better than a wide 1080p one high up.
    assert np.median(sharp) > np.median(central) > np.median(coarse)


def test_a_set_up_without_the_tagged_cameras_is_refused() -> None:
    scenario = load_scenario(ROOT / "scenarios/small_plaza.toml")
    with pytest.raises(TwinInputError, match="no camera tagged setup-central"):
        setup_qualities(scenario, seed=1)


def _write_profile(folder: Path, extra: str = "") -> Path:
    (folder / "fits").mkdir()
    fit = {
        "profile": "p",
        "reference_quality": 0.61,
        "vendor_score_per_fmr_decade": 0.02,
        "setup_qualities": [0.0, 0.5, 0.7],
        "seed": 1,
        "assumptions": {
            "reference_quality": {
                "distribution": "uniform",
                "low": 0.4,
                "high": 0.8,
                "source": "fit",
            }
        },
        "reference_fit": {"walkers": 3},
    }
    (folder / "fits" / "p.toml").write_text(fit_file_text(fit, "twin calibrate-fit p"))
    path = folder / "p.toml"
    path.write_text(
        'name = "p"\nvendor_threshold = 0.6\nfmr = 1e-7\ntpir = 0.9\nfit = "fits/p.toml"\n' + extra
    )
    return path


def test_a_profile_reads_its_fit_file(tmp_path: Path) -> None:
    path = _write_profile(tmp_path)
    assert (
        tomllib.loads((tmp_path / "fits" / "p.toml").read_text())["reference_fit"]["walkers"] == 3
    )
    profile = load_profile(str(path))
    assert profile.reference_quality == 0.61
    assert profile.vendor_score_per_fmr_decade == 0.02
    assert profile.setup_qualities == (0.0, 0.5, 0.7)
    assert profile.assumptions["reference_quality"].high == 0.8
    assert load_profile(str(path), fitted=False).reference_quality == 0.8  # the schema's default


def test_a_profile_s_own_figure_wins_over_its_fit(tmp_path: Path) -> None:
    path = _write_profile(tmp_path, extra="reference_quality = 0.5\n")
    assert load_profile(str(path)).reference_quality == 0.5


def test_a_missing_fit_file_is_refused_in_one_line(tmp_path: Path) -> None:
    path = _write_profile(tmp_path)
    (tmp_path / "fits" / "p.toml").unlink()
    with pytest.raises(ProfileError, match="cannot read the fit file"):
        load_profile(str(path))


def test_the_shipped_profile_is_fitted_in_its_set_up() -> None:
    profile = load_profile("npl_2023")
    spread = profile.assumptions["reference_quality"]
    assert spread.low <= profile.reference_quality <= spread.high
    assert profile.setup_qualities and profile.setup_qualities == tuple(
        sorted(profile.setup_qualities)
    )
    assert "vendor_score_per_fmr_decade" in profile.assumptions
