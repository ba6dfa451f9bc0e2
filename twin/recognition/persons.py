"""Persons: global ids, and what belongs to a person for good (their group and their face).

A person's id is ``kind << KIND_SHIFT | index``: the kind (an index into PERSON_KINDS, or WATCHLISTED
for the watchlist's people, whose index is their watchlist row) and the person's index within the
kind's pool (for one-off visitors, ``day x ONE_OFF_DAY_STRIDE + k``). The watchlist's people are fixed
by the seed alone, so the gallery is the same whoever comes to the site. Nothing is stored per person: both the group and
the face are derived on demand from the run's seed and the id with numpy's counter-based Philox
generator, so a year of people needs no more memory than the day in hand, and a person who returns
on another day has the same group and the same face.

- **group**: one uniform per person, compared with the groups' cumulative shares. The uniforms of a
  kind (and, for one-off visitors, a day) come from one Philox stream keyed by (seed, kind, day),
  person i taking the i-th draw;
- **face**: the identity's free part, a unit vector of standard normals from a Philox generator
  keyed by (seed, person id). `twin.recognition.faces.FaceModel` places it in the embedding space
  (group axis, closeness) and makes every capture and enrolment image a noisy view of it.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from twin.recognition.faces import FaceModel, Watchlist

IntArray = npt.NDArray[np.int64]
Embeddings = npt.NDArray[np.float32]

PERSON_KINDS: Final = ("commuter", "resident", "regular_visitor", "one_off_visitor")
#: The kind code of the watchlist's people (their index is their watchlist row).
WATCHLISTED: Final = len(PERSON_KINDS)
KIND_SHIFT: Final = 40
ONE_OFF_DAY_STRIDE: Final = 1 << 24
_INDEX_MASK: Final = (1 << KIND_SHIFT) - 1
# Second key word of the group streams: a bit person ids never set, so the streams never meet.
_GROUP_TAG: Final = 1 << 62


def seed_key(seed: int) -> int:
    """The run's seed as the first Philox key word (a 64-bit hash of it, by SeedSequence)."""
    return int(np.random.SeedSequence(seed).generate_state(1, dtype=np.uint64)[0])


def _key(first: int, second: int) -> npt.NDArray[np.uint64]:
    # As a uint64 array: a list would pass through float64 and lose the low bits.
    return np.array([first, second], dtype=np.uint64)


def watchlist_ids(size: int) -> IntArray:
    """The global ids of the people on a watchlist of ``size`` rows, row by row."""
    return (np.int64(WATCHLISTED) << KIND_SHIFT) | np.arange(size, dtype=np.int64)


def person_kind(person_id: IntArray) -> IntArray:
    """The kind code of each person id (an index into PERSON_KINDS, or WATCHLISTED)."""
    return np.asarray(person_id >> KIND_SHIFT, dtype=np.int64)


def person_groups(seed: int, person_id: IntArray, shares: tuple[float, ...]) -> IntArray:
    """Each person's group (index into ``shares``), the same for the same seed and id on any day."""
    ids = np.asarray(person_id, dtype=np.int64)
    uniform = np.empty(len(ids))
    key = seed_key(seed)
    kind = ids >> KIND_SHIFT
    index = ids & _INDEX_MASK
    block = np.where(kind == PERSON_KINDS.index("one_off_visitor"), index // ONE_OFF_DAY_STRIDE, 0)
    local = np.where(block > 0, index % ONE_OFF_DAY_STRIDE, index)
    stream = (kind << KIND_SHIFT) | block
    for value in np.unique(stream).tolist():
        rows = np.flatnonzero(stream == value)
        generator = np.random.Generator(np.random.Philox(key=_key(key, _GROUP_TAG | value)))
        uniform[rows] = generator.random(int(local[rows].max()) + 1)[local[rows]]
    cumulative = np.cumsum(np.asarray(shares, dtype=np.float64))
    cumulative /= cumulative[-1]
    return np.minimum(np.searchsorted(cumulative, uniform, side="right"), len(shares) - 1).astype(
        np.int64
    )


def face_directions(seed: int, person_id: IntArray, free_dim: int) -> Embeddings:
    """Each person's face: a unit vector in the ``free_dim`` free dimensions, (n, free_dim) float32,
    drawn by a Philox generator keyed by (seed, person id), so the same person always has it."""
    ids = np.asarray(person_id, dtype=np.int64)
    out = np.empty((len(ids), free_dim), dtype=np.float32)
    key = seed_key(seed)
    bit_generator = np.random.Philox(key=_key(key, 0))
    generator = np.random.Generator(bit_generator)
    fresh = bit_generator.state
    for row, value in enumerate(ids.tolist()):
        # Re-keying one bit generator gives the stream of a new Philox(key=(key, value)), quicker.
        bit_generator.state = {
            **fresh,
            "state": {"counter": np.zeros(4, dtype=np.uint64), "key": _key(key, value)},
        }
        out[row] = generator.standard_normal(free_dim, dtype=np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


class FaceBook:
    """Faces of a set of people, derived once per run for the people it is asked about.

    ``of(ids)`` gives their faces, ``rows(ids)`` their rows in ``directions``; faces not derived yet
    are derived then.
    """

    def __init__(self, seed: int, free_dim: int) -> None:
        self.seed = seed
        self.free_dim = free_dim
        self._ids = np.empty(0, dtype=np.int64)
        self.directions: Embeddings = np.empty((0, free_dim), dtype=np.float32)

    def rows(self, person_id: IntArray) -> IntArray:
        """Rows of ``directions`` for these ids, deriving the faces not yet known."""
        ids = np.asarray(person_id, dtype=np.int64)
        at = np.searchsorted(self._ids, ids)
        known = np.zeros(len(ids), dtype=np.bool_)
        if len(self._ids):
            known = (at < len(self._ids)) & (self._ids[np.minimum(at, len(self._ids) - 1)] == ids)
        if known.all():
            return at.astype(np.int64)
        new = np.unique(ids[~known])
        if new.size:
            merged = np.concatenate([self._ids, new])
            order = np.argsort(merged, kind="stable")
            self.directions = np.concatenate(
                [self.directions, face_directions(self.seed, new, self.free_dim)]
            )[order]
            self._ids = merged[order]
        return np.searchsorted(self._ids, ids).astype(np.int64)

    def of(self, person_id: IntArray) -> Embeddings:
        """The faces of these people, (n, free_dim) unit rows."""
        rows = self.rows(person_id)
        return self.directions[rows]


def person_watchlist(
    rng: np.random.Generator,
    model: FaceModel,
    faces: FaceBook,
    person_id: IntArray,
    group: IntArray,
) -> Watchlist:
    """The watchlist of these people: their identities (their faces placed in the model's space) and
    the templates enrolled from an image of each (noise from ``rng``, by the enrolment quality)."""
    identities = model.place(faces.of(person_id), group)
    return Watchlist(
        identities=identities, enrolled=model.enrol(rng, identities, group), group=group
    )
