"""The deployment: the site a run watches, and which of its cameras run face recognition.

Which cameras run recognition is the scenario's choice (`cameras.recognition`: every capable camera,
cameras with given tags, or listed ids); it is worked out once, when the run's site is loaded, and
handed to every stage that needs it (captures, the response's posts and transit times, the tables).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from twin.recognition.captures import recognition_cameras
from twin.scenario import CamerasConfig
from twin.site.model import Site

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Deployment:
    """A site and its recognition flags (one per ``site.cameras``, True where recognition runs)."""

    site: Site
    recognition: BoolArray

    @property
    def recognition_ids(self) -> tuple[str, ...]:
        """Ids of the cameras that run recognition, in the site's camera order."""
        cameras = self.site.cameras
        return tuple(c.camera_id for c, on in zip(cameras, self.recognition, strict=True) if on)


def deploy(site: Site, config: CamerasConfig) -> Deployment:
    """The site with the scenario's recognition cameras decided (ScenarioError for unknown ids)."""
    return Deployment(site=site, recognition=recognition_cameras(site, config))
