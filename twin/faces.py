"""Synthetic faces: identity templates, a watchlist, and the embeddings that cameras capture.

Nothing here is a real face. An identity is a random 512-d unit vector (ArcFace-class embeddings are
512-d, L2-normalised and compared by cosine: Deng et al., CVPR 2019). Two independent identities have
a cosine similarity distributed as ``2 B - 1`` with ``B ~ Beta((d-1)/2, (d-1)/2)``, about N(0, 0.044)
in 512-d: far too clean to stand for real impostor scores. So the twin does not reuse a vendor's
threshold as a cosine. It solves for the cosine threshold whose impostor tail equals the algorithm
profile's measured false-match rate (FMR), and for the genuine-score mean that gives the profile's
true-positive identification rate (TPIR) at the reference capture quality (see `twin.profiles`).

The capture model: a capture of someone on the watchlist has cosine ``alpha`` to their enrolled
template, ``alpha ~ Normal(mu(q), genuine_score_sd)`` with ``mu(q) = mu_ref * q / q_ref`` for capture
quality ``q`` (`twin.quality`): a worse capture carries less of the face. Everyone else's capture is
an independent random unit vector, which is exactly how the capture of an identity the gallery does not
hold is distributed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from twin.profiles import AlgorithmProfile

Embeddings = npt.NDArray[np.float32]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

NOT_ON_WATCHLIST = -1
MAX_GENUINE_COSINE = 0.999


def cosine_threshold_for_fmr(fmr: float, dim: int) -> float:
    """The cosine t such that two independent random unit vectors in ``dim`` dimensions exceed it
    with probability ``fmr`` (one comparison's false-match rate)."""
    half = (dim - 1) / 2.0
    return float(2.0 * stats.beta.isf(fmr, half, half) - 1.0)


def fmr_at_cosine(threshold: float, dim: int) -> float:
    """The false-match rate of one comparison at a cosine threshold (inverse of the above)."""
    half = (dim - 1) / 2.0
    return float(stats.beta.sf((threshold + 1.0) / 2.0, half, half))


@dataclass(frozen=True, slots=True)
class FaceModel:
    """The calibrated capture model: cosine threshold and genuine-score distribution."""

    dim: int
    threshold_cosine: float
    genuine_mean_at_reference: float
    genuine_score_sd: float
    reference_quality: float

    @classmethod
    def from_profile(
        cls,
        profile: AlgorithmProfile,
        *,
        dim: int,
        genuine_score_sd: float,
        threshold_cosine: float | None = None,
    ) -> FaceModel:
        """Fit the model to a profile's FMR and TPIR (a threshold override keeps the genuine fit)."""
        profile_threshold = cosine_threshold_for_fmr(profile.fmr, dim)
        # P(alpha > t) = TPIR at reference quality  =>  mu_ref = t + sd * Phi^-1(TPIR)
        mean_ref = profile_threshold + genuine_score_sd * float(stats.norm.ppf(profile.tpir))
        return cls(
            dim=dim,
            threshold_cosine=profile_threshold if threshold_cosine is None else threshold_cosine,
            genuine_mean_at_reference=mean_ref,
            genuine_score_sd=genuine_score_sd,
            reference_quality=profile.reference_quality,
        )

    @property
    def fmr(self) -> float:
        """False-match rate of one comparison at this model's threshold."""
        return fmr_at_cosine(self.threshold_cosine, self.dim)

    def genuine_mean(self, quality: FloatArray) -> FloatArray:
        """Mean cosine between a capture of quality ``quality`` and its owner's template."""
        return np.asarray(
            self.genuine_mean_at_reference * np.asarray(quality) / self.reference_quality,
            dtype=np.float64,
        )


def random_unit_rows(rng: np.random.Generator, n: int, dim: int) -> Embeddings:
    """``n`` independent uniformly random unit vectors (float32, shape (n, dim))."""
    rows = rng.standard_normal((n, dim), dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def make_watchlist(rng: np.random.Generator, size: int, dim: int) -> Embeddings:
    """Enrolled templates of ``size`` synthetic watchlist identities, row i for identity i."""
    return random_unit_rows(rng, size, dim)


def capture_embeddings(
    rng: np.random.Generator,
    model: FaceModel,
    gallery: Embeddings,
    subject_ids: IntArray,
    quality: FloatArray,
) -> tuple[Embeddings, FloatArray]:
    """Probe embeddings of captures and their genuine cosines.

    ``subject_ids[i]`` is the watchlist row of capture i's owner, or ``NOT_ON_WATCHLIST``. Returns the
    (n, dim) float32 probes and, per capture, the cosine drawn for its owner's template (NaN for people
    not on the watchlist).
    """
    n = len(subject_ids)
    probes = random_unit_rows(rng, n, model.dim)
    genuine = np.full(n, np.nan)
    mated = np.flatnonzero(subject_ids != NOT_ON_WATCHLIST)
    if mated.size:
        alpha = rng.normal(model.genuine_mean(quality[mated]), model.genuine_score_sd)
        alpha = np.clip(alpha, -MAX_GENUINE_COSINE, MAX_GENUINE_COSINE)
        templates = gallery[subject_ids[mated]].astype(np.float64)
        noise = probes[mated].astype(np.float64)
        noise -= np.sum(noise * templates, axis=1, keepdims=True) * templates
        noise /= np.linalg.norm(noise, axis=1, keepdims=True)
        mixed = alpha[:, None] * templates + np.sqrt(1.0 - alpha**2)[:, None] * noise
        probes[mated] = mixed.astype(np.float32)
        genuine[mated] = alpha
    return probes, genuine
