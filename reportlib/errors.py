"""One exception tree for reportlib.

Every error a user can cause is a :class:`ReportlibError`. Its ``str()`` is a
single line that names the file, the place in it, what is wrong and what to do,
so the CLI can print it as is and exit non-zero without a traceback::

    runs/x/trainer_state.json: line 3: not valid JSON (Expecting value). Fix or regenerate the file.
"""

from __future__ import annotations

from os import PathLike

#: Longest message (the part that may quote file content) that :meth:`ReportlibError.one_line`
#: prints in full; longer ones are cut in the middle. A log line or value can be megabytes
#: long, and an error line must stay readable in a terminal while keeping its hint.
MAX_MESSAGE_CHARS = 400


class ReportlibError(Exception):
    """Base class of every error reportlib raises on purpose.

    Parameters
    ----------
    message:
        What is wrong, in one sentence.
    path:
        The file or folder at fault, if any.
    where:
        The place inside that file (``"line 3"``, ``"log_history[12]"``, ``"key 'step'"``).
    hint:
        What the user can do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | PathLike[str] | None = None,
        where: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.where = where
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The error as a single line: ``path: where: message. hint``."""
        parts = [p for p in (self.path, self.where) if p]
        message = self.message
        if len(message) > MAX_MESSAGE_CHARS:
            half = MAX_MESSAGE_CHARS // 2
            message = f"{message[:half]} [... {len(message) - 2 * half} characters ...] " \
                f"{message[-half:]}"
        text = message.rstrip(".") + "."
        if self.hint:
            text += " " + self.hint.rstrip(".") + "."
        line = ": ".join([*parts, text])
        # Messages may quote file content: never let it break the one-line promise.
        return " ".join(line.split())


class InputError(ReportlibError):
    """A run folder or log file that reportlib cannot read as it stands."""


class FormatNotRecognisedError(InputError):
    """No ingest module recognises the path."""


class PredictionsError(InputError):
    """Prediction or reference files that do not match each other."""


class ParameterError(ReportlibError):
    """A parameter passed to a public function or the CLI is out of range."""


class DependencyMissingError(ReportlibError):
    """An optional dependency (Chromium, transformers...) is not installed."""


class BuildError(ReportlibError):
    """Executing or exporting a report failed.

    ``path`` names the executed notebook that was kept so the user can open it.
    """
