"""Print a report's HTML to PDF with headless Chromium (Debian's ``chromium`` package).

Chromium renders the page as a browser shows it, so the template's print CSS
applies: A4 pages, figures and tables not split across pages, long code lines
wrapped. It runs with a fresh, throw-away profile and with every background
service that would reach the network switched off, so printing works on a
machine without network access. The PDF is written to a temporary file and
renamed into place.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from reportlib.errors import BuildError, DependencyMissingError
from reportlib.outputs import temp_sibling

#: Program names tried in order on ``PATH``: Debian's package, Ubuntu's older
#: name, Google's builds.
CHROMIUM_NAMES: tuple[str, ...] = (
    "chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
)
#: Environment variable naming the browser to use instead of searching ``PATH``.
CHROMIUM_ENV = "REPORTLIB_CHROMIUM"
#: The command that installs Chromium on Debian and Ubuntu (quoted in the error).
INSTALL_COMMAND = "sudo apt-get install -y chromium"
#: Flags for printing on a closed machine: headless, no sandbox (containers and
#: CI run as root), and no background service that would try the network.
CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--no-pdf-header-footer",
)
#: Seconds Chromium may take to print one report. A report prints in about a
#: second; a hung browser must fail the build rather than hang a batch.
PDF_TIMEOUT_S = 120.0
#: Lines of Chromium's stderr that are noise on a machine without a desktop
#: session (D-Bus) or from Debian's launcher script, left out of error messages.
_NOISE = ("dbus", "unexpected operator", "Fontconfig", "bytes written to file")


def find_chromium() -> str:
    """The path of a Chromium (or Chrome) executable.

    ``$REPORTLIB_CHROMIUM`` wins when set; otherwise the first of
    :data:`CHROMIUM_NAMES` found on ``PATH``.

    Returns
    -------
    str: the executable's path.

    Raises
    ------
    reportlib.errors.DependencyMissingError
        None is installed (the message names the install command), or
        ``$REPORTLIB_CHROMIUM`` does not name an executable.
    """
    chosen = os.environ.get(CHROMIUM_ENV)
    if chosen:
        found = shutil.which(chosen)
        if found is None:
            raise DependencyMissingError(
                f"${CHROMIUM_ENV} is set to {chosen!r}, which is not an executable",
                hint=f"unset it to search PATH, or point it at a Chromium binary; "
                f"install Chromium with `{INSTALL_COMMAND}`",
            )
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise DependencyMissingError(
        "PDF export needs Chromium, and none was found on PATH "
        f"(looked for {', '.join(CHROMIUM_NAMES)})",
        hint=f"install it with `{INSTALL_COMMAND}` (the README's setup does this), "
        f"or set ${CHROMIUM_ENV} to a Chromium or Chrome binary",
    )


def chromium_command(chromium: str, html: Path, pdf: Path, profile: Path) -> list[str]:
    """The command line that prints ``html`` to ``pdf`` with a fresh ``profile`` folder."""
    return [
        chromium,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--print-to-pdf={pdf}",
        Path(html).resolve().as_uri(),
    ]


def print_pdf(
    html: str | os.PathLike[str],
    pdf: str | os.PathLike[str],
    *,
    chromium: str | None = None,
    timeout: float = PDF_TIMEOUT_S,
) -> Path:
    """Print an HTML file to PDF with headless Chromium, atomically.

    Parameters
    ----------
    html:
        The HTML file (a self-contained report).
    pdf:
        Where the PDF goes; its folder must exist. Replaced only on success.
    chromium:
        The browser executable; None: :func:`find_chromium`.
    timeout:
        Seconds Chromium may take.

    Returns
    -------
    Path: ``pdf``.

    Raises
    ------
    reportlib.errors.DependencyMissingError
        No Chromium (see :func:`find_chromium`).
    reportlib.errors.BuildError
        ``html`` is missing, or Chromium failed, timed out or wrote no PDF.
    """
    html, pdf = Path(html), Path(pdf)
    if not html.is_file():
        raise BuildError("no HTML file to print", path=html,
                         hint="build the report first (reportlib build)")
    browser = chromium or find_chromium()
    tmp = temp_sibling(pdf, suffix=".pdf")
    try:
        with tempfile.TemporaryDirectory(prefix="reportlib-chromium-") as profile:
            command = chromium_command(browser, html, tmp, Path(profile))
            try:
                proc = subprocess.run(command, capture_output=True, text=True,
                                      timeout=timeout, stdin=subprocess.DEVNULL, check=False)
            except subprocess.TimeoutExpired as exc:
                raise BuildError(f"Chromium did not finish printing within {timeout:g} s",
                                 path=html, hint="open the HTML in a browser to check it") from exc
            except OSError as exc:
                raise DependencyMissingError(
                    f"Chromium could not be started ({exc})", path=browser,
                    hint=f"reinstall it with `{INSTALL_COMMAND}`") from exc
        with open(tmp, "rb") as fh:
            head = fh.read(5)
        if proc.returncode != 0 or head != b"%PDF-":
            detail = _last_meaningful_line(proc.stderr)
            raise BuildError(
                f"Chromium failed to print the PDF (exit status {proc.returncode}"
                + (f": {detail}" if detail else "") + ")",
                path=html,
                hint=f"run `{browser} --headless --no-sandbox --print-to-pdf=out.pdf "
                f"{html.resolve().as_uri()}` to see Chromium's messages",
            )
        os.replace(tmp, pdf)
    finally:
        tmp.unlink(missing_ok=True)
    return pdf


def _last_meaningful_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    useful = [line for line in lines if not any(noise in line for noise in _NOISE)]
    return useful[-1][:300] if useful else ""


__all__ = [
    "CHROMIUM_ENV",
    "CHROMIUM_FLAGS",
    "CHROMIUM_NAMES",
    "INSTALL_COMMAND",
    "PDF_TIMEOUT_S",
    "chromium_command",
    "find_chromium",
    "print_pdf",
]
