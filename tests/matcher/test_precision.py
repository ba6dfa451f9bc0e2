"""Reduced-precision exact search: the bound holds, and every decision equals float32 search."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from twin.matcher import Matcher, MatcherInputError
from twin.matcher import precision as precision_module
from twin.matcher.precision import (
    GALLERY_LEVELS,
    PROBE_LEVELS,
    Int8Gallery,
    int8_units,
    quantise,
    resolve_precision,
)

DIM = 512

needs_int8 = pytest.mark.skipif(
    resolve_precision("int8").used != "int8", reason="no int8 dot-product path on this machine"
)


def unit_rows(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    rows = rng.standard_normal((n, dim), dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def pair(gallery: np.ndarray, ids: np.ndarray, precision: str = "int8") -> tuple[Matcher, Matcher]:
    exact, coarse = Matcher(DIM), Matcher(DIM, precision=precision)
    exact.add(ids, gallery)
    coarse.add(ids, gallery)
    return exact, coarse


def on_threshold(rng: np.random.Generator, targets: np.ndarray, score: float) -> np.ndarray:
    """Unit probes whose cosine with each target row is ``score`` (to float32 rounding)."""
    other = unit_rows(rng, len(targets)).astype(np.float64)
    other -= np.einsum("ij,ij->i", other, targets)[:, None] * targets
    other /= np.linalg.norm(other, axis=1, keepdims=True)
    probes = score * targets + np.sqrt(1 - score**2) * other
    return probes.astype(np.float32)


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(1717)


def test_unknown_precision_is_refused_listing_the_allowed_ones() -> None:
    with pytest.raises(MatcherInputError, match="float32, int8, auto"):
        Matcher(DIM, precision="fp16")


def test_int8_needs_the_flat_backend() -> None:
    with pytest.raises(MatcherInputError, match="flat backend"):
        Matcher(DIM, backend="hnsw", precision="int8")
    assert Matcher(DIM, backend="hnsw", precision="auto").precision_path.used == "float32"


def test_int8_units_follow_the_cpu_flags() -> None:
    assert int8_units("x86_64", frozenset({"AVX2"}), frozenset({"amx_int8"})) == "AMX int8"
    assert int8_units("x86_64", frozenset({"AVX2", "AVX512VNNI"}), frozenset()) == "AVX-512 VNNI"
    assert "AVX2" in str(int8_units("x86_64", frozenset({"AVX2"}), frozenset()))
    assert int8_units("x86_64", frozenset({"SSE3"}), frozenset()) is None
    assert int8_units("riscv64", frozenset(), frozenset()) is None


def test_a_cpu_without_int8_units_falls_back_to_float32_and_says_so_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(precision_module, "int8_units", lambda *_: None)
    monkeypatch.setattr(precision_module, "_reported", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = Matcher(DIM, precision="int8")
        Matcher(DIM, precision="int8")
    assert first.precision_path.used == "float32"
    assert "fell back to float32" in first.precision_path.reason
    assert [str(w.message) for w in caught] == [
        "precision int8: no int8 dot-product units; searching in float32"
    ]
    assert Matcher(DIM, precision="auto").precision_path.used == "float32"


def test_auto_takes_int8_only_where_it_pays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precision_module, "int8_units", lambda *_: "AVX-512 VNNI")
    assert resolve_precision("auto").used == "int8"
    monkeypatch.setattr(precision_module, "int8_units", lambda *_: "AVX2 vpmaddubsw")
    auto = resolve_precision("auto")
    assert auto.used == "float32" and "AVX2" in auto.reason
    assert resolve_precision("int8").used == "int8"  # asked for: exact, if not faster


def test_quantised_codes_stay_in_range_and_residuals_are_measured(rng: np.random.Generator) -> None:
    rows = np.vstack([unit_rows(rng, 50), np.eye(DIM, dtype=np.float32)[:3]])
    codes, steps, residuals = quantise(rows, GALLERY_LEVELS)
    assert np.abs(codes.astype(int)).max() == GALLERY_LEVELS
    back = codes.astype(np.float64) * steps[:, None]
    np.testing.assert_allclose(residuals, np.linalg.norm(rows - back, axis=1), rtol=1e-9)
    assert (residuals[-3:] < 1e-6).all()  # one-hot rows are coded exactly, up to the float32 step


@needs_int8
def test_coarse_scores_lie_within_the_bound_of_the_exact_ones(rng: np.random.Generator) -> None:
    spiky = np.zeros((4, DIM), dtype=np.float32)
    spiky[:, :3] = [[1, 0, 0], [0.6, 0.8, 0], [0.5, 0.5, 0.7071068], [-1, 0, 0]]
    gallery = np.vstack([unit_rows(rng, 300), spiky, np.full((2, DIM), DIM**-0.5, np.float32)])
    gallery /= np.linalg.norm(gallery, axis=1, keepdims=True)
    probes = np.vstack([unit_rows(rng, 40), gallery[:5] * 0.999, spiky[:2]])
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)
    coded = Int8Gallery(DIM)
    coded.add(gallery)
    exact = probes.astype(np.float64) @ gallery.astype(np.float64).T
    estimate, bound = coded.coarse_scores(probes)
    which, _ = coded.candidates(probes, k=gallery.shape[0], floor=None)
    assert which.size == probes.shape[0] * gallery.shape[0]  # k = all rows: every pair
    error = np.abs(estimate - exact)
    assert (error <= bound[:, None]).all()
    assert error.max() > 1e-4  # int8 really is coarse: the re-scoring is not a formality


@needs_int8
def test_integer_products_do_not_saturate_at_the_extreme_codes() -> None:
    flat = np.full((1, DIM), DIM**-0.5, dtype=np.float32)  # every code at its extreme
    coded = Int8Gallery(DIM)
    coded.add(np.vstack([flat, -flat]))
    codes, steps, _ = coded.error_bounds(flat)
    assert int(codes.max()) == 128 + PROBE_LEVELS
    scores, _ = coded.coarse_scores(flat)
    gallery_step = np.float32(DIM**-0.5) / np.float32(GALLERY_LEVELS)
    product = DIM * PROBE_LEVELS * GALLERY_LEVELS * float(steps[0]) * float(gallery_step)
    np.testing.assert_allclose(scores[0], [product, -product], rtol=1e-6)


@needs_int8
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("batch", [1, 2, 37])
def test_top_k_ids_and_scores_equal_float32_search(
    rng: np.random.Generator, k: int, batch: int
) -> None:
    gallery = unit_rows(rng, 2_000)
    ids = rng.permutation(10_000)[:2_000].astype(np.int64)
    exact, coarse = pair(gallery, ids)
    mated = gallery[rng.integers(0, 2_000, batch)] + 0.04 * unit_rows(rng, batch)
    for probes in (unit_rows(rng, batch), mated):
        want, got = exact.search(probes, k), coarse.search(probes, k)
        np.testing.assert_array_equal(got.ids, want.ids)
        np.testing.assert_allclose(got.scores, want.scores, rtol=0, atol=2e-6)


@needs_int8
def test_probes_on_the_threshold_get_the_float32_decision(rng: np.random.Generator) -> None:
    gallery = unit_rows(rng, 1_000)
    ids = np.arange(1_000, dtype=np.int64)
    exact, coarse = pair(gallery, ids)
    threshold = 0.45
    targets = rng.integers(0, 1_000, 400)
    # Within a few float32 units of the threshold, float32 search itself decides differently by
    # batch size (sgemv or sgemm): the offsets stay above that, and well inside the int8 error.
    offsets = rng.choice([-3e-3, -3e-4, -3e-5, -3e-6, 3e-6, 3e-5, 3e-4, 3e-3], size=400)
    probes = np.vstack(
        [
            on_threshold(rng, gallery[[t]].astype(np.float64), threshold + o)
            for t, o in zip(targets, offsets, strict=True)
        ]
    )
    want = exact.search_thresholded(probes, 1, threshold)
    got = coarse.search_thresholded(probes, 1, threshold)
    np.testing.assert_array_equal(got.ids, want.ids)
    np.testing.assert_array_equal(np.isfinite(got.scores), np.isfinite(want.scores))
    alerts = np.isfinite(want.scores[:, 0])
    assert 0 < alerts.sum() < 400  # the probes straddle the threshold
    # the int8 estimate alone gets some of these wrong: the float32 re-scoring is what decides
    coded = Int8Gallery(DIM)
    coded.add(gallery)
    estimate, _ = coded.coarse_scores(probes / np.linalg.norm(probes, axis=1, keepdims=True))
    assert ((estimate.max(axis=1) >= threshold) != alerts).any()


@needs_int8
def test_ties_resolve_as_float32_search_does(rng: np.random.Generator) -> None:
    base = unit_rows(rng, 200)
    gallery = np.vstack([base, base[:50]])  # rows 200.. duplicate rows 0..49 under other ids
    ids = np.arange(250, dtype=np.int64)
    exact, coarse = pair(gallery, ids)
    probes = base[:50] + 0.01 * unit_rows(rng, 50)
    for batch in (probes[:1], probes):
        want, got = exact.search(batch, 2), coarse.search(batch, 2)
        # float32 search gives equal rows scores an ulp apart depending on where sgemm puts them,
        # so which of the two comes first is rounding; the pair and the scores are the decision
        np.testing.assert_array_equal(np.sort(got.ids, axis=1), np.sort(want.ids, axis=1))
        np.testing.assert_allclose(got.scores, want.scores, rtol=0, atol=2e-6)
        assert (got.ids[:, 0] % 200 == got.ids[:, 1] % 200).all()  # both copies of the mate


@needs_int8
def test_live_changes_and_a_saved_gallery_keep_the_decisions(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    gallery = unit_rows(rng, 1_500)
    ids = np.arange(1_500, dtype=np.int64)
    exact, coarse = pair(gallery, ids)
    probes = gallery[rng.integers(0, 1_500, 64)] + 0.05 * unit_rows(rng, 64)
    extra = unit_rows(rng, 100)
    coarse.search(probes, 1)  # builds the int8 session before the changes
    for matcher in (exact, coarse):
        matcher.remove(ids[::3])
        matcher.add(np.arange(2_000, 2_100, dtype=np.int64), extra)
    np.testing.assert_array_equal(coarse.search(probes, 2).ids, exact.search(probes, 2).ids)
    coarse.save(tmp_path / "g.twg")
    loaded = Matcher.load(tmp_path / "g.twg", precision="int8")
    assert loaded.precision_path.used == "int8"
    np.testing.assert_array_equal(loaded.search(probes, 2).ids, exact.search(probes, 2).ids)


def test_float32_precision_is_the_plain_flat_search(rng: np.random.Generator) -> None:
    gallery = unit_rows(rng, 300)
    exact, same = pair(gallery, np.arange(300, dtype=np.int64), precision="float32")
    assert same.precision_path.used == "float32"
    probes = unit_rows(rng, 5)
    np.testing.assert_array_equal(same.search(probes, 3).scores, exact.search(probes, 3).scores)
