"""A simulation and digital twin of a site-wide camera estate running live facial recognition.

Data flows one way: scenario -> site and cameras -> crowd -> faces -> matcher -> outcomes ->
results -> CLI, dashboard, sweeps and load tests. Everything is synthetic: no real face image and
no real person's data is used or produced.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("camera-estate-twin")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
