"""Matching the day's captures: synthetic probe embeddings through the real FAISS matcher.

Every track's frames get probe embeddings, each a noisy view of the person's one face
(`twin.recognition.faces`, `twin.recognition.persons`), every probe is searched by the real matcher
(`twin.matcher`) in large chunks, and each track's frames are fused into one decision
(`twin.recognition.tracks`). Decisions do not depend on how probes are batched, so the bulk search here gives the
same answers the recognition pipeline's micro-batches would; the pipeline (`twin.recognition.pipeline`) accounts
for when they would have been answered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from twin.matcher import Matcher
from twin.recognition.faces import NOT_ON_WATCHLIST, FaceModel, Watchlist
from twin.recognition.persons import FaceBook
from twin.recognition.tracks import frame_qualities, fuse
from twin.scenario import Scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Embeddings = npt.NDArray[np.float32]


@dataclass(frozen=True)
class MatchResult:
    """Per track: the fused top candidate and score and the mate score; the probes if kept.

    Probes (and so the pipeline's searches) are per frame, ``frames`` consecutive rows per track.
    """

    frames: int
    top1_id: IntArray
    top1_score: FloatArray
    mate_score: FloatArray  # NaN for people not on the watchlist
    probes: Embeddings | None


def _probes(
    rng: np.random.Generator,
    model: FaceModel,
    watchlist: Watchlist,
    faces: FaceBook,
    tracks: _Tracks,
    quality: FloatArray,
    within_person_correlation: float,
    threads: int | None = None,
) -> tuple[Embeddings, FloatArray]:
    """One probe per row of ``tracks`` at ``quality``: a watchlisted person's is a view of their
    identity with the calibrated genuine score to it; anyone else's a view of their own face. Returns
    the probes and the mate scores (NaN for people not on the watchlist). People not on the watchlist
    are made on ``threads`` threads (default: the usable cores; the probes do not depend on how
    many)."""
    n = len(tracks.subjects)
    probes = np.empty((n, model.dim), dtype=np.float32)
    mate = np.full(n, np.nan)
    mated = tracks.subjects != NOT_ON_WATCHLIST
    others = np.flatnonzero(~mated)
    if others.size:
        made = model.person_captures(
            rng,
            free_unit=faces.of(tracks.people[others]),
            quality=quality[others],
            group=tracks.groups[others],
            within_person_correlation=within_person_correlation,
            threads=threads,
        )
        if others.size == n:
            probes = made  # every row (the usual chunk): no copy
        else:
            probes[others] = made
    listed = np.flatnonzero(mated)
    if listed.size:
        subjects = tracks.subjects[listed]
        probes[listed] = model.captures(
            rng,
            quality=quality[listed],
            group=watchlist.group[subjects],
            identity=watchlist.identities[subjects],
        )
        mate[listed] = np.einsum(
            "ij,ij->i",
            probes[listed].astype(np.float64),
            watchlist.enrolled[subjects].astype(np.float64),
        )
    return probes, mate


@dataclass(frozen=True, slots=True)
class _Tracks:
    """Per track (or frame): the person's global id, watchlist row and group."""

    people: IntArray
    subjects: IntArray
    groups: IntArray

    def rows(self, rows: slice) -> _Tracks:
        return _Tracks(self.people[rows], self.subjects[rows], self.groups[rows])

    def repeat(self, frames: int) -> _Tracks:
        return _Tracks(
            *(np.repeat(values, frames) for values in (self.people, self.subjects, self.groups))
        )


def match_tracks(
    scenario: Scenario,
    model: FaceModel,
    matcher: Matcher,
    watchlist: Watchlist,
    faces: FaceBook,
    *,
    people: IntArray,
    subjects: IntArray,
    groups: IntArray,
    quality: FloatArray,
    rng: np.random.Generator,
    on_faces_done: Callable[[], None],
    on_matching_done: Callable[[], None],
    on_progress: Callable[[float], None],
    keep_probes: bool,
    threads: int | None = None,
) -> MatchResult:
    """Generate every track's probes, search them for real, and fuse each track's frames.

    Per track: ``people`` (global person ids), ``subjects`` (watchlist rows or NOT_ON_WATCHLIST),
    ``groups`` and best-shot ``quality``; ``faces`` derives the people's faces.

    ``on_faces_done`` / ``on_matching_done`` mark the end of each chunk's embedding and search work
    (for the stage clock); ``on_progress`` receives the tracks done so far. Probes are made on
    ``threads`` threads (default: the usable cores); the result does not depend on how many.
    """
    frames = scenario.faces.frames_per_track
    k = scenario.matcher.top_k
    n = len(subjects)
    top1_id = np.full(n, -1, dtype=np.int64)
    top1_score = np.full(n, -np.inf)
    mate_score = np.full(n, np.nan)
    kept: list[Embeddings] = []
    chunk = max(1, scenario.matcher.search_chunk // frames)
    tracks = _Tracks(people, subjects, groups)
    faces.rows(np.unique(people[subjects == NOT_ON_WATCHLIST]))  # derive every face once
    correlation = scenario.faces.within_person_correlation
    for begin in range(0, n, chunk):
        rows = slice(begin, min(begin + chunk, n))
        if frames == 1:
            probes, mate = _probes(
                rng,
                model,
                watchlist,
                faces,
                tracks.rows(rows),
                quality[rows],
                correlation,
                threads,
            )
            on_faces_done()
            result = matcher.search(probes, k=k)
            on_matching_done()
            top1_id[rows] = result.ids[:, 0]
            top1_score[rows] = result.scores[:, 0]
            mate_score[rows] = mate
        else:
            per_frame_quality = frame_qualities(rng, quality[rows], frames)
            probes, mate = _probes(
                rng,
                model,
                watchlist,
                faces,
                tracks.rows(rows).repeat(frames),
                per_frame_quality.ravel(),
                correlation,
                threads,
            )
            frame_mate = mate.reshape(-1, frames)
            on_faces_done()
            result = matcher.search(probes, k=k)
            on_matching_done()
            frame_scores = result.scores[:, 0].astype(np.float64).reshape(-1, frames)
            frame_ids = result.ids[:, 0].reshape(-1, frames)
            candidate_scores = None
            if scenario.faces.fusion == "top_n_mean":
                best_id = frame_ids[np.arange(len(frame_ids)), np.argmax(frame_scores, axis=1)]
                candidates = np.repeat(watchlist.enrolled[np.maximum(best_id, 0)], frames, axis=0)
                candidate_scores = np.einsum(
                    "ij,ij->i", probes.astype(np.float64), candidates.astype(np.float64)
                ).reshape(-1, frames)
                candidate_scores[best_id < 0] = -np.inf
            fused = fuse(
                frame_scores=frame_scores,
                frame_ids=frame_ids,
                frame_mate_scores=frame_mate,
                frame_quality=per_frame_quality,
                candidate_scores=candidate_scores,
                method=scenario.faces.fusion,
                top_n=scenario.faces.fusion_top_n,
            )
            top1_id[rows] = fused.top1_id
            top1_score[rows] = fused.top1_score
            mate_score[rows] = fused.mate_score
        if keep_probes:
            kept.append(probes)
        on_progress(float(rows.stop))
    return MatchResult(
        frames=frames,
        top1_id=top1_id,
        top1_score=top1_score,
        mate_score=mate_score,
        probes=np.concatenate(kept) if keep_probes and kept else None,
    )
