"""Synthetic faces: identities, enrolled watchlist templates, and the embeddings cameras capture.

Nothing here is a real face. Embeddings are 512-d unit vectors compared by cosine, as ArcFace-class
models are (Deng et al., CVPR 2019). Two independent random unit vectors have a cosine distributed as
``2 B - 1`` with ``B ~ Beta((d-1)/2, (d-1)/2)``, about N(0, 0.044) in 512-d: far too clean to stand for
real impostor scores. So the model is *fitted to an algorithm's measured operating point*
(`twin.recognition.profiles`), never typed in by hand:

- **threshold**: the cosine whose impostor tail equals the profile's false-match rate (FMR) per
  comparison (NEC's 0.6 is a vendor score, not a cosine; facts.md);
- **genuine scores**: a capture's cosine to its owner's template is Normal(mu(q), sd), with
  ``mu(q) = mu_ref * q / q_ref`` for capture quality q (`twin.recognition.quality`) and ``mu_ref`` solved so that
  the profile's TPIR holds at the reference quality;
- **groups of people**: identities of group g share a component of weight ``sqrt(rho_g)`` along the
  group's own axis, so two members of the group are closer than strangers (cosine ``rho_g`` apart on
  average). ``rho_g`` is solved numerically so that the group's false-positive rate is its multiplier
  times the best-served group's, as NIST found false positives 2-5x higher for women and up to 10-100x
  for some groups with some algorithms (NISTIR 8280, 2019). The difference lives in the embeddings,
  so it shows up when the real matcher runs. False non-match multipliers shift the group's genuine mean;
- **enrolment quality**: a watchlist template enrolled from a poor image (custody photo, CCTV still)
  keeps only ``beta`` of the identity (cosine beta to the true face) and picks up an image-artefact
  component that poor captures share, which raises both misses and false alerts. At beta = 1 (the
  default) the model is exactly the profile's.

Layout of the space: axis g is group g's axis, the next axis is the shared artefact axis, and
identities vary freely in the remaining ``dim - groups - 1`` dimensions.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

from twin.cores import on_cores
from twin.recognition.profiles import AlgorithmProfile
from twin.scenario import FacesConfig, MatcherConfig, WatchlistConfig

Embeddings = npt.NDArray[np.float32]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

NOT_ON_WATCHLIST = -1
MAX_GENUINE_COSINE = 0.999
MAX_CLOSENESS = 0.9
# Weight of the shared image-artefact direction in a poor enrolment image and in a poor capture
# (at quality 0). *Assumption*: chosen so that enrolment quality 0.6 roughly doubles false alerts on
# poor captures; no public figure gives it.
ARTEFACT_WEIGHT = 0.35
#: Captures whose noise one generator draws (`FaceModel.person_captures`): a fixed size, so the
#: draws do not depend on how many threads make the pieces.
NOISE_PIECE_ROWS: Final = 512


def piece_generators(
    rng: np.random.Generator, rows: int
) -> list[tuple[slice, np.random.Generator]]:
    """``rows`` split into pieces of :data:`NOISE_PIECE_ROWS` (the last one shorter), each with its
    own generator: children of a `numpy.random.SeedSequence` whose entropy (128 bits) is drawn
    from ``rng``, so they follow from ``rng``'s state alone and each call gets fresh ones."""
    pieces = [
        slice(start, min(start + NOISE_PIECE_ROWS, rows))
        for start in range(0, rows, NOISE_PIECE_ROWS)
    ]
    if not pieces:
        return []
    entropy = rng.integers(0, 1 << 32, size=4, dtype=np.uint32).tolist()
    children = np.random.SeedSequence(entropy).spawn(len(pieces))
    return [
        (piece, np.random.default_rng(child)) for piece, child in zip(pieces, children, strict=True)
    ]


def _impostor_tail(cosine: float | FloatArray, free_dim: int) -> FloatArray:
    """P(cosine of two independent random unit vectors in ``free_dim`` dims exceeds ``cosine``)."""
    half = (free_dim - 1) / 2.0
    x = (np.clip(np.asarray(cosine, dtype=np.float64), -1.0, 1.0) + 1.0) / 2.0
    return np.asarray(stats.beta.sf(x, half, half), dtype=np.float64)


def cosine_threshold_for_fmr(fmr: float, dim: int) -> float:
    """The cosine t such that two independent random unit vectors in ``dim`` dimensions exceed it
    with probability ``fmr`` (one comparison's false-match rate)."""
    half = (dim - 1) / 2.0
    return float(2.0 * stats.beta.isf(fmr, half, half) - 1.0)


def fmr_at_cosine(threshold: float, dim: int) -> float:
    """The false-match rate of one comparison at a cosine threshold (inverse of the above)."""
    return float(_impostor_tail(threshold, dim))


def pair_fmr(threshold: float, closeness: FloatArray, free_dim: int) -> FloatArray:
    """FMR of one comparison between identities of groups g and h, as a (G, G) matrix.

    Same group: cosine = rho + (1 - rho) X; different groups: sqrt((1-rho_g)(1-rho_h)) X, with X the
    cosine of two random unit vectors in the free dimensions.
    """
    rho = np.asarray(closeness, dtype=np.float64)
    cross_scale = np.sqrt(np.outer(1.0 - rho, 1.0 - rho))
    matrix = _impostor_tail(threshold / cross_scale, free_dim)
    same = _impostor_tail((threshold - rho) / (1.0 - rho), free_dim)
    np.fill_diagonal(matrix, same)
    return matrix


@functools.lru_cache(maxsize=64)
def solve_closeness(
    threshold: float, free_dim: int, shares: tuple[float, ...], fmr_multipliers: tuple[float, ...]
) -> tuple[float, ...]:
    """Each group's closeness rho_g such that its false-positive rate against a watchlist with the
    same group shares is ``multiplier_g / min(multipliers)`` times the profile's FMR.

    Solved numerically (Gauss-Seidel over groups, Brent's method per group) and cached.
    """
    share = np.asarray(shares, dtype=np.float64)
    relative = np.asarray(fmr_multipliers, dtype=np.float64) / min(fmr_multipliers)
    base = float(_impostor_tail(threshold, free_dim))
    target = relative * base
    rho = np.zeros(len(shares))
    if np.allclose(relative, 1.0):
        return tuple(rho.tolist())
    for _ in range(50):
        previous = rho.copy()
        for g in range(len(shares)):

            def excess(value: float, g: int = g) -> float:
                trial = rho.copy()
                trial[g] = value
                rate = float(pair_fmr(threshold, trial, free_dim)[g] @ share)
                return float(np.log(rate) - np.log(target[g]))

            if excess(0.0) >= 0.0:
                rho[g] = 0.0
            else:
                rho[g] = optimize.brentq(excess, 0.0, MAX_CLOSENESS, xtol=1e-10)
        if np.max(np.abs(rho - previous)) < 1e-9:
            break
    return tuple(rho.tolist())


@dataclass(frozen=True, slots=True)
class GroupModel:
    """One group's fitted parameters."""

    name: str
    share: float
    closeness: float  # rho: mean cosine between two identities of the group (0 = strangers)
    genuine_mean_at_reference: float
    fmr_multiplier: float
    fnmr_multiplier: float


@dataclass(frozen=True, slots=True)
class FaceModel:
    """The fitted capture model: threshold, genuine-score distribution, groups, enrolment quality."""

    dim: int
    threshold_cosine: float
    genuine_score_sd: float
    reference_quality: float
    groups: tuple[GroupModel, ...]
    enrolment_quality: float = 1.0

    @classmethod
    def from_profile(
        cls,
        profile: AlgorithmProfile,
        *,
        dim: int,
        genuine_score_sd: float,
        groups: Sequence[tuple[str, float, float, float]] = (("all", 1.0, 1.0, 1.0),),
        enrolment_quality: float = 1.0,
        threshold_cosine: float | None = None,
    ) -> FaceModel:
        """Fit to a profile. ``groups``: (name, share, fmr_multiplier, fnmr_multiplier) each.

        Multipliers are relative: the group with the smallest multiplier performs as the profile
        says, the others that many times worse. A threshold override moves the operating point and
        keeps the fitted genuine and group parameters.
        """
        free_dim = dim - len(groups) - 1
        fitted_threshold = cosine_threshold_for_fmr(profile.fmr, free_dim)
        shares = tuple(share for _, share, _, _ in groups)
        closeness = solve_closeness(
            fitted_threshold, free_dim, shares, tuple(fmr for _, _, fmr, _ in groups)
        )
        smallest_fnmr = min(fnmr for _, _, _, fnmr in groups)
        fitted = []
        for (name, share, fmr_multiplier, fnmr_multiplier), rho in zip(
            groups, closeness, strict=True
        ):
            fnmr = min(0.999, (1.0 - profile.tpir) * fnmr_multiplier / smallest_fnmr)
            # P(alpha >= t) = 1 - FNMR at reference quality  =>  mu_ref = t + sd * Phi^-1(1 - FNMR)
            mean_ref = fitted_threshold + genuine_score_sd * float(stats.norm.isf(fnmr))
            fitted.append(GroupModel(name, share, rho, mean_ref, fmr_multiplier, fnmr_multiplier))
        return cls(
            dim=dim,
            threshold_cosine=fitted_threshold if threshold_cosine is None else threshold_cosine,
            genuine_score_sd=genuine_score_sd,
            reference_quality=profile.reference_quality,
            groups=tuple(fitted),
            enrolment_quality=enrolment_quality,
        )

    @property
    def free_dim(self) -> int:
        """Dimensions in which identities vary freely (the rest are group and artefact axes)."""
        return self.dim - len(self.groups) - 1

    @property
    def artefact_axis(self) -> int:
        """Index of the shared image-artefact direction."""
        return len(self.groups)

    @property
    def closeness(self) -> FloatArray:
        """rho per group."""
        return np.array([group.closeness for group in self.groups], dtype=np.float64)

    @property
    def fmr(self) -> float:
        """False-match rate of one comparison between strangers (rho = 0) at the threshold."""
        return fmr_at_cosine(self.threshold_cosine, self.free_dim)

    def group_fmr(self) -> FloatArray:
        """Expected FMR per comparison for a probe of each group against the watchlist mix."""
        shares = np.array([group.share for group in self.groups])
        rates: FloatArray = pair_fmr(self.threshold_cosine, self.closeness, self.free_dim) @ shares
        return rates

    def genuine_mean(self, quality: FloatArray, group: IntArray) -> FloatArray:
        """Mean cosine between a capture of quality ``quality`` and its owner's true identity."""
        mean_ref = np.array([g.genuine_mean_at_reference for g in self.groups], dtype=np.float64)
        return np.asarray(
            mean_ref[group] * np.asarray(quality) / self.reference_quality, dtype=np.float64
        )

    def _free_unit_rows(self, rng: np.random.Generator, n: int) -> Embeddings:
        rows = np.zeros((n, self.dim), dtype=np.float32)
        free = rng.standard_normal((n, self.free_dim), dtype=np.float32)
        free /= np.linalg.norm(free, axis=1, keepdims=True)
        rows[:, self.dim - self.free_dim :] = free
        return rows

    def identities(self, rng: np.random.Generator, group: IntArray) -> Embeddings:
        """True identity vectors of people of the given groups (unit rows)."""
        rows = self._free_unit_rows(rng, len(group))
        rho = self.closeness[group]
        rows *= np.sqrt(1.0 - rho).astype(np.float32)[:, None]
        rows[np.arange(len(group)), group] = np.sqrt(rho).astype(np.float32)
        return rows

    def place(self, free_unit: Embeddings, group: IntArray) -> Embeddings:
        """Identity vectors from faces given as unit rows in the free dimensions (a person's face,
        `twin.recognition.persons`): the group's share on its axis, the face in the rest."""
        rows = np.zeros((len(group), self.dim), dtype=np.float32)
        rho = self.closeness[group]
        rows[:, self.dim - self.free_dim :] = (
            free_unit * np.sqrt(1.0 - rho).astype(np.float32)[:, None]
        )
        rows[np.arange(len(group)), group] = np.sqrt(rho).astype(np.float32)
        return rows

    def person_captures(
        self,
        rng: np.random.Generator,
        *,
        free_unit: Embeddings,
        quality: FloatArray,
        group: IntArray,
        within_person_correlation: float,
        threads: int | None = None,
    ) -> Embeddings:
        """Probe embeddings of captures of people not on the watchlist, each a noisy view of the
        person's face (``free_unit``, unit rows in the free dimensions).

        In the free dimensions a capture keeps cosine ``k = sqrt(r) q / q_ref`` (at most
        MAX_GENUINE_COSINE) of the face and is fresh noise otherwise, r being the within-person
        correlation: two captures' scores against one template then correlate by ``k1 k2`` (r at the
        reference quality). Since face and noise are both uniform on the sphere, every capture is
        too: the impostor score of one search is exactly the calibrated stranger's, only captures of
        one person are no longer independent.

        The noise is drawn in pieces of :data:`NOISE_PIECE_ROWS` captures, each by its own
        generator derived from ``rng`` (:func:`piece_generators`), and the pieces are made on
        ``threads`` threads (default: the usable cores): the probes follow from the inputs and
        ``rng``'s state, whatever the number of threads.
        """
        n = len(group)
        rho = self.closeness[group]
        keep = np.minimum(
            np.sqrt(within_person_correlation)
            * np.clip(np.asarray(quality, dtype=np.float64), 0.0, None)
            / self.reference_quality,
            MAX_GENUINE_COSINE,
        )
        noise_scale = np.sqrt(1.0 - keep**2)
        keep32 = keep.astype(np.float32)
        rho_scale32 = np.sqrt(1.0 - rho).astype(np.float32)
        face_all = np.asarray(free_unit, dtype=np.float32)
        offset = self.dim - self.free_dim
        probes = np.empty((n, self.dim), dtype=np.float32)

        def capture_piece(piece: slice, generator: np.random.Generator) -> None:
            """The probes ``piece``, their noise from ``generator``: in float32 and in place, as
            this runs for every capture of the day."""
            face = face_all[piece]
            free = generator.standard_normal(face.shape, dtype=np.float32)
            free -= np.einsum("ij,ij->i", free, face)[:, None] * face
            scale = noise_scale[piece] / np.linalg.norm(free, axis=1).astype(np.float64)
            free *= scale.astype(np.float32)[:, None]
            free += keep32[piece, None] * face
            free *= rho_scale32[piece, None]
            probes[piece, :offset] = 0.0
            probes[piece, offset:] = free

        on_cores(lambda job: capture_piece(*job), piece_generators(rng, n), threads)
        probes[np.arange(n), group] = np.sqrt(rho)
        if self.enrolment_quality < 1.0:
            alpha = rng.normal(self.genuine_mean(quality, group), self.genuine_score_sd)
            probes = self._with_artefact(probes, alpha, quality, rho, group)
        return probes

    def enrol(
        self, rng: np.random.Generator, identities: Embeddings, group: IntArray
    ) -> Embeddings:
        """Watchlist templates enrolled from images of quality ``enrolment_quality``."""
        beta = self.enrolment_quality
        if beta >= 1.0:
            return identities.copy()
        rho = self.closeness[group].astype(np.float32)[:, None]
        group_part = identities.copy()
        group_part[:, self.dim - self.free_dim :] = 0.0
        free_part = identities - group_part
        noise = self._free_unit_rows(rng, len(group))
        noise -= (
            np.sum(noise * free_part, axis=1, keepdims=True)
            * free_part
            / np.maximum(1.0 - rho, 1e-12)
        )
        noise /= np.linalg.norm(noise, axis=1, keepdims=True)
        spoil = np.sqrt(1.0 - ARTEFACT_WEIGHT**2) * noise
        spoil[:, self.artefact_axis] = ARTEFACT_WEIGHT
        enrolled = (
            group_part
            + np.float32(beta) * free_part
            + np.sqrt(1.0 - rho) * np.float32(np.sqrt(1.0 - beta**2)) * spoil
        )
        enrolled /= np.linalg.norm(enrolled, axis=1, keepdims=True)
        return np.asarray(enrolled, dtype=np.float32)

    def captures(
        self,
        rng: np.random.Generator,
        *,
        quality: FloatArray,
        group: IntArray,
        identity: Embeddings | None,
    ) -> Embeddings:
        """Probe embeddings of captures.

        ``identity`` holds each capture's true identity vector (rows), or is None for captures of
        people nobody has enrolled: their identities are drawn fresh (a stranger's capture is a
        random identity of their group).
        """
        n = len(group)
        rho = self.closeness[group]
        if identity is None:
            probes = self.identities(rng, group)
            if self.enrolment_quality < 1.0:
                alpha = rng.normal(self.genuine_mean(quality, group), self.genuine_score_sd)
                probes = self._with_artefact(probes, alpha, quality, rho, group)
            return probes
        alpha = np.clip(
            rng.normal(self.genuine_mean(quality, group), self.genuine_score_sd),
            -MAX_GENUINE_COSINE,
            MAX_GENUINE_COSINE,
        )
        # Within the free dimensions the capture keeps cosine alpha' of its identity, so that the
        # total cosine (group part included) is alpha.
        alpha_free = np.clip((alpha - rho) / (1.0 - rho), -MAX_GENUINE_COSINE, MAX_GENUINE_COSINE)
        free_identity = identity.astype(np.float64)
        free_identity[:, : self.dim - self.free_dim] = 0.0
        free_identity /= np.linalg.norm(free_identity, axis=1, keepdims=True)
        noise = self._free_unit_rows(rng, n).astype(np.float64)
        noise -= np.sum(noise * free_identity, axis=1, keepdims=True) * free_identity
        noise /= np.linalg.norm(noise, axis=1, keepdims=True)
        if self.enrolment_quality < 1.0:
            weight = ARTEFACT_WEIGHT * (1.0 - np.clip(quality, 0.0, 1.0))
            noise *= np.sqrt(1.0 - weight**2)[:, None]
            noise[:, self.artefact_axis] = weight
        free = alpha_free[:, None] * free_identity + np.sqrt(1.0 - alpha_free**2)[:, None] * noise
        mixed = np.sqrt(1.0 - rho)[:, None] * free
        mixed[np.arange(n), group] = np.sqrt(rho)
        return np.asarray(mixed, dtype=np.float32)

    def _with_artefact(
        self,
        probes: Embeddings,
        alpha: FloatArray,
        quality: FloatArray,
        rho: FloatArray,
        group: IntArray,
    ) -> Embeddings:
        """Give strangers' captures the same image-artefact component as a capture of that quality."""
        alpha_free = np.clip((alpha - rho) / (1.0 - rho), -MAX_GENUINE_COSINE, MAX_GENUINE_COSINE)
        weight = ARTEFACT_WEIGHT * (1.0 - np.clip(quality, 0.0, 1.0)) * np.sqrt(1.0 - alpha_free**2)
        free_scale = np.sqrt(1.0 - weight**2).astype(np.float32)
        out = probes.copy()
        out[:, self.dim - self.free_dim :] *= free_scale[:, None]
        out[:, self.artefact_axis] = (np.sqrt(1.0 - rho) * weight).astype(np.float32)
        return out


@dataclass(frozen=True)
class Watchlist:
    """The synthetic watchlist: true identities, the enrolled templates the matcher holds, groups."""

    identities: Embeddings
    enrolled: Embeddings
    group: IntArray

    def __len__(self) -> int:
        return len(self.group)


def make_watchlist(rng: np.random.Generator, model: FaceModel, group: IntArray) -> Watchlist:
    """Identities for watchlist members of the given groups, and their enrolled templates."""
    identities = model.identities(rng, group)
    return Watchlist(
        identities=identities, enrolled=model.enrol(rng, identities, group), group=group
    )


def capture_embeddings(
    rng: np.random.Generator,
    model: FaceModel,
    watchlist: Watchlist,
    subject_ids: IntArray,
    group: IntArray,
    quality: FloatArray,
) -> tuple[Embeddings, FloatArray]:
    """Probe embeddings of captures, and each one's cosine to its owner's enrolled template.

    ``subject_ids[i]`` is the watchlist row of capture i's owner, or ``NOT_ON_WATCHLIST``. Returns the
    (n, dim) float32 probes and the mate scores (NaN for people not on the watchlist).
    """
    n = len(subject_ids)
    probes = np.empty((n, model.dim), dtype=np.float32)
    mate_score = np.full(n, np.nan)
    mated = np.flatnonzero(subject_ids != NOT_ON_WATCHLIST)
    strangers = np.flatnonzero(subject_ids == NOT_ON_WATCHLIST)
    if strangers.size:
        probes[strangers] = model.captures(
            rng, quality=quality[strangers], group=group[strangers], identity=None
        )
    if mated.size:
        subjects = subject_ids[mated]
        probes[mated] = model.captures(
            rng,
            quality=quality[mated],
            group=watchlist.group[subjects],
            identity=watchlist.identities[subjects],
        )
        mate_score[mated] = np.einsum(
            "ij,ij->i",
            probes[mated].astype(np.float64),
            watchlist.enrolled[subjects].astype(np.float64),
        )
    return probes, mate_score


def fit_face_model(
    profile: AlgorithmProfile,
    faces: FacesConfig,
    watchlist: WatchlistConfig,
    matcher: MatcherConfig,
) -> FaceModel:
    """The face model a scenario asks for: its profile, groups, enrolment quality and threshold."""
    groups = [(g.name, g.share, g.fmr_multiplier, g.fnmr_multiplier) for g in faces.groups]
    threshold = matcher.threshold_cosine
    if matcher.threshold_vendor is not None:
        free_dim = faces.embedding_dim - len(groups) - 1
        threshold = cosine_threshold_for_fmr(
            profile.fmr_at_vendor_threshold(matcher.threshold_vendor), free_dim
        )
    return FaceModel.from_profile(
        profile,
        dim=faces.embedding_dim,
        genuine_score_sd=faces.genuine_score_sd,
        groups=groups,
        enrolment_quality=watchlist.enrolment_quality,
        threshold_cosine=threshold,
    )
