from __future__ import annotations

import numpy as np
import pytest

from twin.recognition.tracks import frame_qualities, fuse


def test_best_frame_keeps_the_pass_quality() -> None:
    quality = frame_qualities(np.random.default_rng(0), np.array([0.8, 0.5]), 4)
    assert quality.shape == (2, 4)
    np.testing.assert_allclose(quality[:, 0], [0.8, 0.5])
    assert np.all(quality <= quality[:, :1] + 1e-12)
    assert np.all(quality >= 0.6 * quality[:, :1] - 1e-12)


def test_max_fusion_takes_the_best_frame() -> None:
    fused = fuse(
        frame_scores=np.array([[0.1, 0.4, 0.2]]),
        frame_ids=np.array([[3, 7, 3]]),
        frame_mate_scores=np.array([[0.1, 0.2, 0.3]]),
        frame_quality=np.array([[0.9, 0.5, 0.7]]),
        candidate_scores=None,
        method="max",
        top_n=2,
    )
    assert fused.top1_id.tolist() == [7]
    assert fused.top1_score.tolist() == [0.4]
    assert fused.mate_score.tolist() == [0.3]


def test_top_n_mean_averages_the_best_quality_frames_against_the_candidate() -> None:
    fused = fuse(
        frame_scores=np.array([[0.1, 0.4, 0.2]]),
        frame_ids=np.array([[3, 7, 3]]),
        frame_mate_scores=np.array([[0.1, 0.2, 0.3]]),
        frame_quality=np.array([[0.9, 0.5, 0.7]]),
        candidate_scores=np.array([[0.3, 0.4, 0.1]]),
        method="top_n_mean",
        top_n=2,
    )
    assert fused.top1_id.tolist() == [7]
    assert fused.top1_score[0] == pytest.approx(
        (0.3 + 0.1) / 2
    )  # frames 0 and 2 have the best quality
    assert fused.mate_score[0] == pytest.approx((0.1 + 0.3) / 2)


def test_top_n_mean_needs_candidate_scores() -> None:
    with pytest.raises(ValueError, match="candidate"):
        fuse(
            frame_scores=np.zeros((1, 2)),
            frame_ids=np.zeros((1, 2), dtype=np.int64),
            frame_mate_scores=np.zeros((1, 2)),
            frame_quality=np.ones((1, 2)),
            candidate_scores=None,
            method="top_n_mean",
            top_n=2,
        )
