"""reportlib: turn the logs of a model training run into a report a person can trust and share."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from reportlib.ingest import load_run

try:
    __version__ = version("reportlib")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "load_run"]
