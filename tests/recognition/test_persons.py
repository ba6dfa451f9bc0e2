from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from twin.recognition.faces import NOISE_PIECE_ROWS, FaceModel, piece_generators
from twin.recognition.persons import FaceBook, face_directions, person_groups, person_watchlist
from twin.recognition.profiles import AlgorithmProfile

LOOSE = AlgorithmProfile(name="loose", vendor_threshold=0.6, fmr=2e-3, tpir=0.9)


def test_a_face_depends_only_on_seed_and_person() -> None:
    ids = np.array([3, 1 << 41, 3, 77], dtype=np.int64)
    faces = face_directions(11, ids, 32)
    assert np.allclose(np.linalg.norm(faces, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(faces[0], faces[2])
    assert np.array_equal(face_directions(11, ids[::-1], 32)[::-1], faces)
    assert not np.allclose(face_directions(12, ids, 32), faces)
    assert abs(float(faces[0] @ faces[1])) < 0.8


def test_groups_follow_the_shares_and_do_not_depend_on_who_else_is_asked() -> None:
    ids = np.arange(20_000, dtype=np.int64)
    groups = person_groups(1, ids, (0.25, 0.75))
    assert np.bincount(groups) / len(ids) == pytest.approx([0.25, 0.75], abs=0.015)
    assert np.array_equal(person_groups(1, ids[5000:6000], (0.25, 0.75)), groups[5000:6000])


def test_face_book_derives_each_face_once_and_in_any_order() -> None:
    book = FaceBook(seed=2, free_dim=16)
    first = book.of(np.array([9, 4], dtype=np.int64))
    later = book.of(np.array([4, 100, 9], dtype=np.int64))
    assert np.array_equal(later[0], first[1])
    assert np.array_equal(later[2], first[0])
    assert np.array_equal(later[1], face_directions(2, np.array([100]), 16)[0])


def test_impostor_scores_of_one_person_are_correlated_by_the_knob() -> None:
    model = FaceModel.from_profile(LOOSE, dim=64, genuine_score_sd=0.08)
    rng = np.random.default_rng(0)
    book = FaceBook(seed=0, free_dim=model.free_dim)
    groups = np.zeros(300, dtype=np.int64)
    watchlist = person_watchlist(rng, model, book, np.arange(10_000, 10_300), groups)
    people = np.arange(400, dtype=np.int64)
    quality = np.full(400, model.reference_quality)
    for correlation in (0.0, 0.6):
        face = book.of(people)
        first = model.person_captures(
            rng,
            free_unit=face,
            quality=quality,
            group=np.zeros(400, dtype=np.int64),
            within_person_correlation=correlation,
        )
        second = model.person_captures(
            rng,
            free_unit=face,
            quality=quality,
            group=np.zeros(400, dtype=np.int64),
            within_person_correlation=correlation,
        )
        a = (first @ watchlist.enrolled.T).ravel()
        b = (second @ watchlist.enrolled.T).ravel()
        measured = float(np.corrcoef(a, b)[0, 1])
        assert measured == pytest.approx(correlation, abs=0.05)
        # Each capture alone is still a calibrated stranger: scores spread as random unit vectors do.
        assert float(np.std(a)) == pytest.approx(1.0 / np.sqrt(model.free_dim), rel=0.1)


def test_a_persons_captures_keep_the_calibrated_false_match_rate_per_search() -> None:
    model = FaceModel.from_profile(LOOSE, dim=64, genuine_score_sd=0.08)
    rng = np.random.default_rng(1)
    gallery = model.identities(rng, np.zeros(200, dtype=np.int64))
    people = np.repeat(np.arange(20_000, dtype=np.int64), 4)
    faces = face_directions(5, people[::4], model.free_dim)
    rates = {}
    for correlation in (0.0, 0.9):
        probes = model.person_captures(
            rng,
            free_unit=np.repeat(faces, 4, axis=0),
            quality=np.full(len(people), model.reference_quality),
            group=np.zeros(len(people), dtype=np.int64),
            within_person_correlation=correlation,
        )
        rates[correlation] = float(np.mean(probes @ gallery.T >= model.threshold_cosine))
    # 16 million comparisons each: FMR 2e-3 to within a few per cent, whatever the correlation.
    assert rates[0.0] == pytest.approx(2e-3, rel=0.05)
    assert rates[0.9] == pytest.approx(2e-3, rel=0.1)


def test_noise_pieces_cover_the_rows_and_follow_from_the_generator() -> None:
    rows = 2 * NOISE_PIECE_ROWS + 5
    pieces = piece_generators(np.random.default_rng(3), rows)
    assert [(piece.start, piece.stop) for piece, _ in pieces] == [
        (0, NOISE_PIECE_ROWS),
        (NOISE_PIECE_ROWS, 2 * NOISE_PIECE_ROWS),
        (2 * NOISE_PIECE_ROWS, rows),
    ]
    again = piece_generators(np.random.default_rng(3), rows)
    draws = [generator.random(4) for _, generator in pieces]
    assert all(np.array_equal(a, g.random(4)) for a, (_, g) in zip(draws, again, strict=True))
    assert not np.array_equal(draws[0], draws[1])
    assert piece_generators(np.random.default_rng(3), 0) == []


def test_a_persons_captures_do_not_depend_on_the_number_of_threads() -> None:
    model = FaceModel.from_profile(LOOSE, dim=64, genuine_score_sd=0.08)
    n = 2 * NOISE_PIECE_ROWS + 37  # three pieces, the last one short
    face = np.repeat(face_directions(4, np.array([7], dtype=np.int64), model.free_dim), n, axis=0)

    def captures(rng: np.random.Generator, threads: int) -> npt.NDArray[np.float32]:
        return model.person_captures(
            rng,
            free_unit=face,
            quality=np.full(n, model.reference_quality),
            group=np.zeros(n, dtype=np.int64),
            within_person_correlation=0.5,
            threads=threads,
        )

    one = captures(np.random.default_rng(6), threads=1)
    assert np.array_equal(captures(np.random.default_rng(6), threads=3), one)
    assert np.allclose(np.linalg.norm(one, axis=1), 1.0, atol=1e-5)
    # One face, one quality: the captures differ only by their noise, which no two pieces share.
    assert not np.allclose(one[0], one[NOISE_PIECE_ROWS])
    assert not np.allclose(one[0], one[2 * NOISE_PIECE_ROWS])
    # A later call draws fresh noise from the same generator.
    rng = np.random.default_rng(6)
    assert not np.allclose(captures(rng, threads=2), captures(rng, threads=2))


def test_each_piece_of_captures_is_noise_from_its_own_generator() -> None:
    model = FaceModel.from_profile(LOOSE, dim=64, genuine_score_sd=0.08)
    n = 2 * NOISE_PIECE_ROWS + 37
    face = face_directions(4, np.arange(n, dtype=np.int64), model.free_dim)
    keep = np.sqrt(0.5)  # at the reference quality
    probes = model.person_captures(
        np.random.default_rng(6),
        free_unit=face,
        quality=np.full(n, model.reference_quality),
        group=np.zeros(n, dtype=np.int64),
        within_person_correlation=0.5,
        threads=2,
    )
    assert np.all(probes[:, : model.dim - model.free_dim] == 0.0)  # one group, rho = 0
    for piece, generator in piece_generators(np.random.default_rng(6), n):
        rows = piece.stop - piece.start
        noise = generator.standard_normal((rows, model.free_dim), dtype=np.float32).astype(
            np.float64
        )
        here = face[piece].astype(np.float64)
        noise -= np.sum(noise * here, axis=1, keepdims=True) * here
        noise /= np.linalg.norm(noise, axis=1, keepdims=True)
        expected = np.sqrt(1.0 - keep**2) * noise + keep * here
        assert np.allclose(probes[piece, model.dim - model.free_dim :], expected, atol=1e-5)
