"""Probes with ground truth: the scenario's watchlist as a gallery, and faces whose right answer is known.

A load test checks answers as well as latencies: a service that answers quickly but mixes up whose
answer is whose (a micro-batching bug, say) must not pass. So the load tester makes its probes from
the scenario's own synthetic faces (`twin.recognition.faces`) and knows, for each probe of a watchlisted person,
the identity the matcher should name.

- **The gallery** is the scenario's watchlist exactly as `twin run` enrols it for the same seed (ids
  ``0..size-1``): the same seed streams, the same draws. `--target inprocess` serves it; `twin loadtest
  --write-gallery FILE` saves it for ``twin matcher serve --gallery FILE``. A service holding another
  gallery answers mated probes wrongly, and the load test counts it.
- **Checked probes**: mated probes whose owner the reference matcher (the same gallery, in this
  process) ranks first. A wrong answer to one of them under load is the service's fault, not the
  recognition algorithm's miss; mated probes the reference misses are left unchecked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from twin.matcher import Matcher
from twin.recognition.faces import NOT_ON_WATCHLIST, capture_embeddings
from twin.recognition.gallery import Gallery, build_gallery
from twin.recognition.persons import person_groups, watchlist_ids
from twin.recognition.profiles import load_profile
from twin.scenario import Scenario
from twin.streams import streams_for

Float32Array = npt.NDArray[np.float32]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

STRANGER_POOL_PROBES = 4096  # distinct strangers' probes the replay cycles through
GALLERY_PROVENANCE = "synthetic watchlist (twin loadtest)"


@dataclass(frozen=True)
class ProbePool:
    """Probe embeddings the sender draws from, and the right answer to each."""

    embeddings: Float32Array  # (n, dim), unit rows
    expected_id: IntArray  # the owner's watchlist id; NOT_ON_WATCHLIST for strangers
    checked: BoolArray  # mated, and the reference matcher names the owner first

    def __len__(self) -> int:
        return len(self.expected_id)

    @staticmethod
    def concatenate(pools: list[ProbePool]) -> ProbePool:
        """Pools end to end (rows of the second follow the first's)."""
        return ProbePool(
            embeddings=np.concatenate([p.embeddings for p in pools]),
            expected_id=np.concatenate([p.expected_id for p in pools]),
            checked=np.concatenate([p.checked for p in pools]),
        )


def scenario_gallery(scenario: Scenario, seed: int) -> Gallery:
    """The face model, watchlist and matcher that `twin run` makes for ``scenario`` and ``seed``.

    The watchlist's people, their groups and faces follow from the seed alone
    (`twin.recognition.persons`) and the enrolment noise from the watchlist stream, so they do not
    depend on the window or the crowd.
    """
    profile = load_profile(
        scenario.faces.algorithm, scenario_dir=scenario.source.parent if scenario.source else None
    )
    people = watchlist_ids(scenario.watchlist.size)
    groups = person_groups(seed, people, tuple(group.share for group in scenario.faces.groups))
    return build_gallery(
        profile,
        scenario,
        people,
        groups,
        streams_for(seed).watchlist,
        seed=seed,
        backend=scenario.matcher.backend,
        precision=scenario.matcher.precision,
        provenance=GALLERY_PROVENANCE,
    )


def _checked(reference: Matcher, embeddings: Float32Array, expected_id: IntArray) -> BoolArray:
    checked = np.zeros(len(expected_id), dtype=np.bool_)
    mated = np.flatnonzero(expected_id != NOT_ON_WATCHLIST)
    if mated.size:
        top1 = reference.search(embeddings[mated], k=1).ids[:, 0]
        checked[mated] = top1 == expected_id[mated]
    return checked


def sweep_pool(
    gallery: Gallery,
    *,
    size: int,
    mated_share: float,
    rng: np.random.Generator,
) -> ProbePool:
    """``size`` probes for constant-rate steps, ``mated_share`` of them of watchlisted people.

    Checked against the gallery's own matcher. Captures are at the algorithm profile's reference
    quality; strangers belong to groups by the
    scenario's shares (watchlisted people to their own, `capture_embeddings` sees to it).
    """
    model, watchlist = gallery.model, gallery.watchlist
    n_mated = round(size * mated_share)
    subjects = np.full(size, NOT_ON_WATCHLIST, dtype=np.int64)
    subjects[:n_mated] = rng.integers(0, len(watchlist), size=n_mated)
    shares = np.array([group.share for group in model.groups], dtype=np.float64)
    groups = rng.choice(len(shares), size=size, p=shares / shares.sum()).astype(np.int64)
    quality = np.full(size, model.reference_quality, dtype=np.float64)
    embeddings, _ = capture_embeddings(rng, model, watchlist, subjects, groups, quality)
    order = rng.permutation(size)  # mated probes spread through the pool
    embeddings, subjects = embeddings[order], subjects[order]
    return ProbePool(embeddings, subjects, _checked(gallery.matcher, embeddings, subjects))


def replay_pool(
    gallery: Gallery,
    *,
    subjects: IntArray,
    groups: IntArray,
    quality: FloatArray,
    frames: int,
    rng: np.random.Generator,
) -> tuple[ProbePool, IntArray]:
    """Probes for the replayed captures, and each capture's ``frames`` pool rows (consecutive).

    Checked against the gallery's own matcher. Every frame of a watchlisted person's capture is a probe of their own, at the capture's quality;
    strangers' frames cycle through `STRANGER_POOL_PROBES` strangers' probes (the matcher's work does
    not depend on whose face it searches).
    """
    model, watchlist = gallery.model, gallery.watchlist
    mated = np.flatnonzero(subjects != NOT_ON_WATCHLIST)
    n_strangers = min(STRANGER_POOL_PROBES, max(1, len(subjects) * frames))
    stranger_groups = rng.choice(groups, size=n_strangers) if len(groups) else np.zeros(1, np.int64)
    stranger_quality = rng.choice(quality, size=n_strangers) if len(quality) else np.ones(1)
    strangers, _ = capture_embeddings(
        rng,
        model,
        watchlist,
        np.full(n_strangers, NOT_ON_WATCHLIST, dtype=np.int64),
        stranger_groups.astype(np.int64),
        stranger_quality,
    )
    mated_subjects = np.repeat(subjects[mated], frames)
    mated_probes, _ = capture_embeddings(
        rng,
        model,
        watchlist,
        mated_subjects,
        np.repeat(groups[mated], frames),
        np.repeat(quality[mated], frames),
    )
    embeddings = np.concatenate([strangers, mated_probes])
    expected = np.concatenate(
        [np.full(n_strangers, NOT_ON_WATCHLIST, dtype=np.int64), mated_subjects]
    )
    rows = rng.integers(0, n_strangers, size=(len(subjects), frames)).astype(np.int64)
    rows[mated] = n_strangers + np.arange(len(mated) * frames, dtype=np.int64).reshape(-1, frames)
    pool = ProbePool(embeddings, expected, _checked(gallery.matcher, embeddings, expected))
    return pool, rows.ravel()
