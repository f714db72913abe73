"""reportlib: turn the logs of a model training run into a report a person can trust and share.

The one entry point is :func:`analyze` (read a run, score its predictions when
present, analyse it); every command and notebook goes through it. See
``docs/architecture.md``.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("reportlib")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

from reportlib.ingest import load_run  # noqa: E402 - after __version__, which modules read
from reportlib.pipeline import RunResult, analyze  # noqa: E402


def _register_jupyter_display() -> None:
    """Inside a running IPython (a Jupyter kernel), show runs as reportlib's card."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    from reportlib.present.run_card import register_jupyter_display

    register_jupyter_display(shell)


_register_jupyter_display()

__all__ = ["RunResult", "__version__", "analyze", "load_run"]
