"""Tracks and frames: one decision per person passing one camera, from one frame or several.

Deployments count faces as tracks, one per person passing (Metropolitan Police reporting; facts.md).
Best-shot matching searches one probe per track. Multi-frame matching searches several frames of the
same track and fuses them into one decision:

- ``max``: the frame with the highest top-1 score decides (identity and score);
- ``top_n_mean``: the best frame names the candidate; the track's score is the mean cosine of its n
  best frames (by quality) against that candidate's enrolled template.

More frames give a genuine face more chances to match (TPIR rises) and a stranger more chances to
look like somebody (FPIR rises); the fusion rule sets the balance.

Frame quality: the best frame has the pass's capture quality; the others fall off towards the edges of
the view, uniformly between 60% and 100% of it (*assumption*: frames are sampled across the dwell).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

WORST_FRAME_FRACTION = 0.6


def frame_qualities(rng: np.random.Generator, best_quality: FloatArray, frames: int) -> FloatArray:
    """(tracks, frames) quality per frame: the first is the best shot, the rest a fraction of it."""
    fraction = rng.uniform(WORST_FRAME_FRACTION, 1.0, size=(len(best_quality), frames))
    fraction[:, 0] = 1.0
    return np.asarray(best_quality[:, None] * fraction, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class FusedTracks:
    """One fused decision per track."""

    top1_id: IntArray
    top1_score: FloatArray
    mate_score: FloatArray  # the same fusion applied to the frames' cosines with the true mate


def fuse(
    *,
    frame_scores: FloatArray,
    frame_ids: IntArray,
    frame_mate_scores: FloatArray,
    frame_quality: FloatArray,
    candidate_scores: FloatArray | None,
    method: Literal["max", "top_n_mean"],
    top_n: int,
) -> FusedTracks:
    """Fuse (tracks, frames) arrays into one decision per track.

    ``candidate_scores`` (tracks, frames) is each frame's cosine to the best frame's candidate, needed
    for ``top_n_mean``.
    """
    rows = np.arange(frame_scores.shape[0])
    best = np.argmax(frame_scores, axis=1)
    top1_id = frame_ids[rows, best]
    if method == "max":
        return FusedTracks(
            top1_id=top1_id,
            top1_score=frame_scores[rows, best],
            mate_score=np.max(frame_mate_scores, axis=1),
        )
    if candidate_scores is None:
        raise ValueError("top_n_mean fusion needs each frame's score against the candidate")
    n = min(top_n, frame_scores.shape[1])
    by_quality = np.argsort(-frame_quality, axis=1, kind="stable")[:, :n]
    return FusedTracks(
        top1_id=top1_id,
        top1_score=np.mean(np.take_along_axis(candidate_scores, by_quality, axis=1), axis=1),
        mate_score=np.mean(np.take_along_axis(frame_mate_scores, by_quality, axis=1), axis=1),
    )
