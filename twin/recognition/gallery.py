"""The gallery: a scenario's face model, its synthetic watchlist, and a real matcher holding it.

Every place that needs the watchlist a run searches against (the runner, the load tester, calibration)
builds it here: fit the face model to the algorithm profile and the scenario, draw the enrolled faces
of the watchlist's people (an enrolment image of each person's one face, `twin.recognition.persons`),
and enrol them in a FAISS matcher under ids ``0..size-1``. Which persons are watchlisted, their groups
and the generator are the caller's (`twin.streams` gives a run's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from twin.matcher import BackendName, Matcher
from twin.recognition.faces import FaceModel, Watchlist, fit_face_model
from twin.recognition.persons import FaceBook, person_watchlist
from twin.recognition.profiles import AlgorithmProfile
from twin.scenario import Scenario

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Gallery:
    """The fitted face model, the watchlist drawn with it, and the matcher it is enrolled in."""

    model: FaceModel
    faces: FaceBook  # every person's one face, derived on demand from (seed, person id)
    watchlist: Watchlist
    matcher: Matcher  # watchlist row i enrolled under id i


def build_gallery(
    profile: AlgorithmProfile,
    scenario: Scenario,
    watchlist_person: IntArray,
    watchlist_groups: IntArray,
    rng: np.random.Generator,
    *,
    seed: int,
    backend: BackendName,
    precision: str = "float32",
    provenance: str,
    on_faces_done: Callable[[], None] | None = None,
) -> Gallery:
    """Fit the model, enrol an image of each watchlisted person's face (``watchlist_person``, with
    group indices ``watchlist_groups``; faces from the run's ``seed``, image noise from ``rng``), and
    enrol them in a matcher on ``backend`` at ``precision`` (`twin.matcher.Matcher`).

    ``on_faces_done`` is called between drawing the faces and building the index (stage timing).
    """
    model = fit_face_model(profile, scenario.faces, scenario.watchlist, scenario.matcher)
    faces = FaceBook(seed, model.free_dim)
    watchlist = person_watchlist(rng, model, faces, watchlist_person, watchlist_groups)
    if on_faces_done is not None:
        on_faces_done()
    matcher = Matcher(model.dim, backend=backend, precision=precision)
    matcher.add(
        np.arange(len(watchlist), dtype=np.int64), watchlist.enrolled, provenance=provenance
    )
    return Gallery(model=model, faces=faces, watchlist=watchlist, matcher=matcher)
