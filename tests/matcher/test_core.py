"""The matcher core: exact results against numpy, thresholds, live changes, files, bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.matcher import (
    BackendParams,
    DuplicateIdentityError,
    GalleryFileError,
    Matcher,
    MatcherInputError,
    UnknownIdentityError,
)
from twin.matcher.store import MAGIC

DIM = 64


def unit_rows(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    rows = rng.standard_normal((n, dim), dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def numpy_top_k(gallery: np.ndarray, ids: np.ndarray, probes: np.ndarray, k: int) -> tuple:
    scores = probes.astype(np.float64) @ gallery.astype(np.float64).T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, axis=1), ids[order]


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(20240605)


@pytest.fixture()
def gallery(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    ids = rng.permutation(10_000)[:500].astype(np.int64) + 1000
    return ids, unit_rows(rng, 500)


@pytest.fixture()
def flat(gallery: tuple[np.ndarray, np.ndarray]) -> Matcher:
    matcher = Matcher(DIM)
    matcher.add(*gallery, provenance="test watchlist")
    return matcher


# Batch sizes cover both exact paths: one or two probes (sgemv) and FAISS's BLAS blocks.
@pytest.mark.parametrize("n_probes", [1, 2, 3, 64, 300])
@pytest.mark.parametrize("k", [1, 5])
def test_flat_search_equals_numpy(flat, gallery, rng, n_probes, k) -> None:
    ids, vectors = gallery
    probes = unit_rows(rng, n_probes)
    result = flat.search(probes, k=k)
    want_scores, want_ids = numpy_top_k(vectors, ids, probes, k)
    assert result.scores.shape == (n_probes, k) and result.scores.dtype == np.float32
    assert result.ids.shape == (n_probes, k) and result.ids.dtype == np.int64
    np.testing.assert_array_equal(result.ids, want_ids)
    np.testing.assert_allclose(result.scores, want_scores, atol=1e-5)
    assert np.all(np.diff(result.scores, axis=1) <= 0)


def test_flat_search_at_scale_equals_numpy(rng) -> None:
    """The BLAS kernel chosen at import gives numpy's answers on a gallery of realistic width."""
    vectors, probes = unit_rows(rng, 5000, 512), unit_rows(rng, 700, 512)
    ids = np.arange(5000, dtype=np.int64)
    matcher = Matcher(512)
    matcher.add(ids, vectors)
    result = matcher.search(probes, k=3)
    want_scores, want_ids = numpy_top_k(vectors, ids, probes, 3)
    np.testing.assert_allclose(result.scores, want_scores, atol=1e-5)
    assert (result.ids[:, 0] == want_ids[:, 0]).all()


def test_mated_probe_finds_itself(flat, gallery) -> None:
    ids, vectors = gallery
    result = flat.search(vectors[:10], k=1)
    np.testing.assert_array_equal(result.ids[:, 0], ids[:10])
    np.testing.assert_allclose(result.scores[:, 0], 1.0, atol=1e-5)


def test_fewer_entries_than_k_pads_with_minus_one(rng) -> None:
    matcher = Matcher(DIM)
    matcher.add(np.array([7, 8], dtype=np.int64), unit_rows(rng, 2))
    for n_probes in (1, 5):
        result = matcher.search(unit_rows(rng, n_probes), k=4)
        assert (result.ids[:, 2:] == -1).all() and np.isneginf(result.scores[:, 2:]).all()
        assert set(result.ids[0, :2]) == {7, 8}


def test_empty_gallery_returns_no_matches(rng) -> None:
    result = Matcher(DIM).search(unit_rows(rng, 3), k=2)
    assert (result.ids == -1).all() and np.isneginf(result.scores).all()


def test_threshold_blanks_candidates_below_it(flat, gallery, rng) -> None:
    ids, vectors = gallery
    probes = np.concatenate([vectors[:3], unit_rows(rng, 3)])
    plain = flat.search(probes, k=2)
    result = flat.search_thresholded(probes, k=2, threshold=0.9)
    np.testing.assert_array_equal(result.ids[:3, 0], ids[:3])
    keep = plain.scores >= 0.9
    np.testing.assert_array_equal(result.ids, np.where(keep, plain.ids, -1))
    assert np.isneginf(result.scores[~keep]).all()
    assert (result.ids[3:] == -1).all()  # random probes score about 0 against everyone


def test_non_unit_embeddings_are_normalised(rng) -> None:
    vectors = unit_rows(rng, 50)
    matcher = Matcher(DIM)
    matcher.add(np.arange(50, dtype=np.int64), vectors * 7.5)
    result = matcher.search(vectors[:4] * 0.01, k=1)
    np.testing.assert_array_equal(result.ids[:, 0], np.arange(4))
    np.testing.assert_allclose(result.scores[:, 0], 1.0, atol=1e-5)


@pytest.mark.parametrize("backend", ["flat", "ivf", "hnsw"])
def test_add_and_remove_take_effect_live(backend, rng) -> None:
    vectors = unit_rows(rng, 400)
    matcher = Matcher(DIM, backend=backend, params=BackendParams(ivf_nlist=4, ivf_nprobe=4))
    matcher.add(np.arange(400, dtype=np.int64), vectors, provenance="first")
    assert matcher.search(vectors[10:11], k=1).ids[0, 0] == 10
    matcher.remove(np.array([10, 11], dtype=np.int64))
    assert matcher.size == 398 and 10 not in matcher
    after = matcher.search(vectors[10:12], k=3)
    assert not np.isin(after.ids, [10, 11]).any()
    matcher.add(np.array([5000], dtype=np.int64), vectors[10:11], provenance="re-enrolled")
    assert matcher.search(vectors[10:11], k=1).ids[0, 0] == 5000
    assert matcher.entry(5000).provenance == "re-enrolled"


def test_hnsw_rebuilds_after_many_removals(rng) -> None:
    vectors = unit_rows(rng, 200)
    matcher = Matcher(DIM, backend="hnsw")
    matcher.add(np.arange(200, dtype=np.int64), vectors)
    matcher.remove(np.arange(0, 120, dtype=np.int64))
    result = matcher.search(vectors[150:160], k=1)
    np.testing.assert_array_equal(result.ids[:, 0], np.arange(150, 160))
    assert matcher.size == 80


def test_remove_unknown_id_is_refused_and_changes_nothing(flat, gallery) -> None:
    ids, _ = gallery
    with pytest.raises(UnknownIdentityError, match="unknown identity id"):
        flat.remove(np.array([ids[0], 99_999_999], dtype=np.int64))
    assert flat.size == 500 and int(ids[0]) in flat


def test_duplicate_ids_are_refused(flat, gallery, rng) -> None:
    ids, _ = gallery
    with pytest.raises(DuplicateIdentityError, match="already on the watchlist"):
        flat.add(ids[:1], unit_rows(rng, 1))
    with pytest.raises(DuplicateIdentityError, match="repeat"):
        flat.add(np.array([1, 1], dtype=np.int64), unit_rows(rng, 2))
    assert flat.size == 500


def test_provenance_and_expiry_are_kept(rng) -> None:
    matcher = Matcher(DIM)
    matcher.add(
        np.array([1], dtype=np.int64),
        unit_rows(rng, 1),
        provenance="court order 17",
        expires=dt.date(2025, 1, 31),
    )
    matcher.add(np.array([2], dtype=np.int64), unit_rows(rng, 1))
    assert matcher.entry(1).provenance == "court order 17"
    assert matcher.entry(1).expires == dt.date(2025, 1, 31)
    assert matcher.entry(2).expires is None
    np.testing.assert_array_equal(matcher.expired(dt.date(2025, 2, 1)), [1])
    assert matcher.expired(dt.date(2025, 1, 31)).size == 0


@pytest.mark.parametrize("backend", ["flat", "ivf", "hnsw"])
def test_save_load_round_trip(backend, tmp_path: Path, rng) -> None:
    vectors = unit_rows(rng, 300)
    matcher = Matcher(DIM, backend=backend, params=BackendParams(ivf_nlist=4, hnsw_ef_search=40))
    matcher.add(
        np.arange(300, dtype=np.int64), vectors, provenance="p", expires=dt.date(2030, 5, 1)
    )
    matcher.remove(np.array([3], dtype=np.int64))
    probes = unit_rows(rng, 20)
    path = tmp_path / "gallery.twg"
    matcher.save(path)
    loaded = Matcher.load(path)
    assert (loaded.backend, loaded.dim, loaded.size, loaded.params) == (
        backend,
        DIM,
        299,
        matcher.params,
    )
    assert loaded.entry(7).expires == dt.date(2030, 5, 1) and 3 not in loaded
    before, after = matcher.search(probes, k=3), loaded.search(probes, k=3)
    np.testing.assert_array_equal(before.ids, after.ids)
    np.testing.assert_array_equal(before.scores, after.scores)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gallery.twg"]  # no temporary left


def test_corrupted_gallery_file_is_refused(flat, tmp_path: Path) -> None:
    path = tmp_path / "gallery.twg"
    flat.save(path)
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(GalleryFileError, match="checksum"):
        Matcher.load(path)


def test_truncated_and_foreign_files_are_refused(flat, tmp_path: Path) -> None:
    path = tmp_path / "gallery.twg"
    flat.save(path)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(GalleryFileError, match="truncated"):
        Matcher.load(path)
    path.write_bytes(b"PK\x03\x04 not a gallery")
    with pytest.raises(GalleryFileError, match="magic"):
        Matcher.load(path)
    with pytest.raises(GalleryFileError, match="cannot read"):
        Matcher.load(tmp_path / "absent.twg")
    assert MAGIC.startswith(b"TWINGAL")


def test_save_replaces_atomically(flat, tmp_path: Path, rng) -> None:
    path = tmp_path / "gallery.twg"
    flat.save(path)
    flat.add(np.array([1], dtype=np.int64), unit_rows(rng, 1))
    flat.save(path)
    assert Matcher.load(path).size == 501


def _bad_probes(kind: str) -> object:
    good = np.ones((2, DIM), dtype=np.float32)
    if kind == "nan":
        good[1, 3] = np.nan
        return good
    if kind == "inf":
        good[0, 0] = np.inf
        return good
    return {
        "wrong dimension": np.ones((2, DIM + 1), dtype=np.float32),
        "float64": np.ones((2, DIM)),
        "one-dimensional": np.ones(DIM, dtype=np.float32),
        "empty": np.ones((0, DIM), dtype=np.float32),
        "zero vector": np.zeros((1, DIM), dtype=np.float32),
        "list": [[1.0] * DIM],
    }[kind]


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("nan", "NaN or infinity"),
        ("inf", "NaN or infinity"),
        ("wrong dimension", "dimension 65"),
        ("float64", "must be float32"),
        ("one-dimensional", "must be 2-D"),
        ("empty", "empty"),
        ("zero vector", "zero vector"),
        ("list", "numpy array"),
    ],
)
def test_bad_probes_are_refused_clearly(flat, kind, message) -> None:
    with pytest.raises(MatcherInputError, match=message) as caught:
        flat.search(_bad_probes(kind), k=1)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (np.array([-1], dtype=np.int64), "non-negative"),
        (np.array([1.5]), "integers"),
        (np.array([1, 2], dtype=np.int64), "one id per row"),
    ],
)
def test_bad_ids_are_refused(ids, message, rng) -> None:
    with pytest.raises(MatcherInputError, match=message):
        Matcher(DIM).add(ids, unit_rows(rng, 1))


@pytest.mark.parametrize("k", [0, -1, 5000, 1.0])
def test_bad_k_is_refused(flat, rng, k) -> None:
    with pytest.raises(MatcherInputError, match="k must be"):
        flat.search(unit_rows(rng, 1), k=k)  # type: ignore[arg-type]


def test_bad_threshold_and_backend_are_refused(flat, rng) -> None:
    with pytest.raises(MatcherInputError, match="cosine between"):
        flat.search_thresholded(unit_rows(rng, 1), k=1, threshold=1.5)
    with pytest.raises(MatcherInputError, match="unknown backend"):
        Matcher(DIM, backend="annoy")  # type: ignore[arg-type]


def test_non_contiguous_probes_are_accepted(flat, gallery) -> None:
    ids, vectors = gallery
    strided = np.asfortranarray(vectors[:5])
    np.testing.assert_array_equal(flat.search(strided, k=1).ids[:, 0], ids[:5])


@settings(max_examples=25, deadline=None)
@given(
    n_gallery=st.integers(1, 40),
    n_probes=st.integers(1, 30),
    k=st.integers(1, 8),
    seed=st.integers(0, 2**32 - 1),
)
def test_flat_results_are_sorted_and_padded(n_gallery, n_probes, k, seed) -> None:
    rng = np.random.default_rng(seed)
    matcher = Matcher(16)
    matcher.add(np.arange(n_gallery, dtype=np.int64) * 3, unit_rows(rng, n_gallery, 16))
    result = matcher.search(unit_rows(rng, n_probes, 16), k=k)
    found = result.ids >= 0
    assert (found.sum(axis=1) == min(k, n_gallery)).all()
    assert (result.ids[found] % 3 == 0).all()
    finite = np.where(found, result.scores, -2.0)
    assert (np.diff(finite, axis=1) <= 1e-6).all()
    assert (np.abs(result.scores[found]) <= 1.0 + 1e-5).all()
