"""A warm papermill engine: one live kernel per process, reused for every report notebook.

Starting a Jupyter kernel and importing pandas, matplotlib, seaborn and
reportlib in it costs over a second, the same every time; the whole notebook
of a small run takes less than half of that. The engine registered here as
``reportlib-warm`` (papermill's engine registry, and the ``papermill.engine``
entry point) pays that cost once per process: it keeps one kernel alive, and
one client connected to it, and executes each notebook in it. Papermill still
parameterizes the notebook, records each cell's outputs and timing, and writes
the executed ``.ipynb`` exactly as with its default engine.

Between two notebooks the kernel is *reset* (:data:`KERNEL_SIDE` runs in it):
the user namespace is cleared (modules stay imported), open figures are
closed, matplotlib's rcParams, the inline backend's settings, the environment
variables, ``sys.path``, the warning filters and the working directory are put
back as they were when the kernel started, and the execution counter restarts
at 1, so every notebook runs as in a fresh kernel. The reset then checks what
it restored; when anything is left over (or the kernel's memory passed
:data:`MAX_KERNEL_RSS_BYTES`), the kernel is replaced instead.

A kernel that dies or hangs past the cell timeout is replaced and the
notebook is run once more on a fresh kernel; so is a notebook that fails in a
kernel that ran others before it (on a fresh kernel it fails or passes as
with a cold build). :func:`shutdown_kernels` stops this process's kernels;
they are also stopped when the process exits.

(Over 500 lines: about 90 of them are the kernel side, :data:`KERNEL_SIDE`,
kept next to the engine that sends it, since each half relies on the other's
every detail.)
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The name papermill knows this engine by (``engine_name=...``).
ENGINE_NAME = "reportlib-warm"
#: Modules a fresh kernel imports before its first notebook: the report notebook's
#: own imports, loaded while the parent process reads and analyses the run.
PRELOAD_MODULES: tuple[str, ...] = (
    "pandas", "matplotlib.pyplot", "seaborn", "IPython.display",
    "reportlib", "reportlib.present", "reportlib.scoring",
)
#: A kernel grown past this resident size is replaced rather than reset. The
#: budget is 400 MB per worker, whose own process holds about 160 MB; a kernel
#: holds about 165 MB after one small report and 180 MB after six (caches), so
#: more than 250 MB means a large run's data or a leak is still held.
MAX_KERNEL_RSS_BYTES = 250 * 1024 * 1024
#: Seconds the reset between two notebooks may take before the kernel counts as
#: hung and is replaced (it clears a namespace and closes figures: well under one).
RESET_TIMEOUT = 30
#: Seconds to wait for a killed kernel to end (and to be reaped).
SHUTDOWN_TIMEOUT = 5

log = logging.getLogger(__name__)

#: Python source run inside the kernel (as module ``_reportlib_warm``) to record the
#: state every notebook starts from, and to restore it between notebooks.
KERNEL_SIDE = r'''
import builtins, gc, os, sys, warnings

_BASELINE = {}
_INLINE_TRAITS = ("figure_formats", "print_figure_kwargs", "close_figures", "rc")


def _inline_backend():
    from matplotlib_inline.config import InlineBackend
    return InlineBackend.instance()


def _rc():
    """rcParams without the backend: restoring it would hide a backend switch, not undo it."""
    import matplotlib
    rc = dict(matplotlib.rcParams.copy())
    del rc["backend"]
    return rc


def baseline(modules):
    """Import ``modules`` and record the state a notebook starts from."""
    import copy, importlib
    import matplotlib
    import matplotlib.pyplot as plt
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:  # the notebook's own import will say so
            pass
    plt.close(plt.figure())  # loads the inline backend, as a notebook's first figure would
    inline = _inline_backend()
    _BASELINE.update(
        rc=_rc(), backend=matplotlib.get_backend(),
        inline={name: copy.deepcopy(getattr(inline, name)) for name in _INLINE_TRAITS},
        environ=dict(os.environ), path=list(sys.path), warnings=list(warnings.filters),
        builtins=set(vars(builtins)),
    )
    # The imported modules live as long as the kernel: moved out of the collector's
    # sight, every later collection (in each reset, and while figures are drawn)
    # scans only what reports made (0.15 s less per collection).
    gc.collect()
    gc.freeze()


def reset(cwd, max_rss):
    """Give the next notebook a kernel as fresh as a new one; raise if that failed."""
    import copy
    import matplotlib
    import matplotlib.pyplot as plt
    if not _BASELINE:
        raise RuntimeError("the kernel has no baseline (its start-up code failed)")
    ip = get_ipython()  # noqa: F821 (a builtin inside the kernel)
    plt.close("all")
    ip.reset(new_session=False)
    ip.execution_count = 1
    dict.update(matplotlib.rcParams, _BASELINE["rc"])
    inline = _inline_backend()
    for name, value in _BASELINE["inline"].items():
        if getattr(inline, name) != value:
            setattr(inline, name, copy.deepcopy(value))
    os.environ.clear()
    os.environ.update(_BASELINE["environ"])
    sys.path[:] = _BASELINE["path"]
    warnings.filters[:] = _BASELINE["warnings"]
    warnings._filters_mutated()
    os.chdir(cwd)  # (ip.reset above already ran a full garbage collection)
    left = sorted(k for k in ip.user_ns if k not in ip.user_ns_hidden and not k.startswith("_"))
    problems = []
    if left:
        problems.append(f"names left in the namespace: {left[:5]}")
    if _rc() != _BASELINE["rc"]:
        problems.append("rcParams differ")
    if matplotlib.get_backend() != _BASELINE["backend"]:
        problems.append(f"matplotlib backend is {matplotlib.get_backend()}")
    added = sorted(set(vars(builtins)) - _BASELINE["builtins"])
    if added:
        problems.append(f"names added to builtins: {added[:5]}")
    if plt.get_fignums():
        problems.append("figures still open")
    try:
        with open("/proc/self/statm") as fh:
            rss = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        rss = 0
    if rss > max_rss:
        problems.append(f"resident memory {rss >> 20} MiB")
    if problems:
        raise RuntimeError("; ".join(problems))
'''

_MODULE = "_reportlib_warm"
#: Installs :data:`KERNEL_SIDE` as a module without binding any name in the user namespace.
_INSTALL = ("__import__('sys').modules.setdefault({m!r}, __import__('types').ModuleType({m!r}));"
            "exec({src!r}, __import__('sys').modules[{m!r}].__dict__)")


def _in_module(call: str) -> str:
    """Kernel code that calls ``_reportlib_warm.<call>`` without binding a name."""
    return f"__import__('sys').modules[{_MODULE!r}].{call}"


class KernelReplaced(RuntimeError):
    """The warm kernel could not be reused (hung, dead or left with state); it was replaced."""


@dataclass
class WarmKernel:
    """One live kernel and the number of notebooks it ran."""

    kernel_name: str
    extra_arguments: tuple[str, ...]
    km: Any = None
    control: Any = None  # a blocking client for the reset between notebooks
    client: Any = None  # the notebooks' client (nbclient's), connected once and kept
    notebooks: int = 0
    sockets: str | None = None  # the folder of its Unix sockets

    def start(self) -> None:
        """Launch the kernel and queue its start-up imports; returns without waiting for them."""
        from jupyter_client import AsyncKernelManager, BlockingKernelClient
        from jupyter_core.utils import run_sync

        # Unix sockets where there are: TCP ports are picked free, then bound by the kernel
        # a moment later, and on a busy machine another kernel can take one in between
        # (the client then talks to a stranger and waits for a reply that never comes).
        # The socket files go to a folder of this kernel's own: jupyter_client's default
        # name ("kernel-ipc" in the working directory) is shared by every kernel started
        # from there, and two workers would start theirs on the same sockets.
        if sys.platform == "win32":
            self.km = AsyncKernelManager(kernel_name=self.kernel_name)
        else:
            self.sockets = tempfile.mkdtemp(prefix="reportlib-kernel-")
            self.km = AsyncKernelManager(kernel_name=self.kernel_name, transport="ipc",
                                         ip=os.path.join(self.sockets, "kernel"))
        # The history would otherwise go to an SQLite file shared by every kernel (and
        # locked by them); nbclient gives its own kernels the same setting.
        arguments = [*self.extra_arguments, "--HistoryManager.hist_file=:memory:"]
        run_sync(self.km.start_kernel)(extra_arguments=arguments)
        self.control = BlockingKernelClient()
        self.control.load_connection_info(self.km.get_connection_info(session=False))
        # The shell channel only: subscribed to iopub, it would queue a copy of every
        # report's outputs (figures included) that nobody reads.
        self.control.start_channels(shell=True, iopub=False, stdin=False, hb=False,
                                    control=False)
        # Queued now, run as soon as the kernel is up: the first notebook waits behind it.
        code = _INSTALL.format(m=_MODULE, src=KERNEL_SIDE) + "\n" + _in_module(
            f"baseline({list(PRELOAD_MODULES)!r})")
        self.control.execute(code, silent=True, store_history=False, allow_stdin=False)

    def alive(self) -> bool:
        """Whether the kernel process is running."""
        from jupyter_core.utils import run_sync

        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def reset(self, cwd: str) -> None:
        """Restore the kernel's start-up state and move it to ``cwd``.

        Raises
        ------
        KernelReplaced
            The reset failed, found state it could not undo, or took longer than
            :data:`RESET_TIMEOUT`.
        """
        import time
        from queue import Empty

        msg_id = self.control.execute(
            _in_module(f"reset({cwd!r}, {MAX_KERNEL_RSS_BYTES})"),
            silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + RESET_TIMEOUT
        while True:  # the start-up code's reply may come first: skip it
            try:
                reply = self.control.get_shell_msg(timeout=max(0.0, deadline - time.monotonic()))
            except Empty:
                raise KernelReplaced(f"the reset took longer than {RESET_TIMEOUT} s") from None
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content.get("status") != "ok":
            raise KernelReplaced(f"{content.get('ename')}: {content.get('evalue')}")

    def notebook_client(self, startup_timeout: float) -> Any:
        """The kernel client notebooks are executed through, connected on first use and kept.

        nbclient would connect a new client for every notebook, and a new client
        waits for the kernel (a ``kernel_info`` round trip, then 0.2 s of silence
        on IOPub) before its first cell; kept, that wait is paid once per kernel.
        Messages left on its channels by the reset or an earlier notebook are
        skipped: nbclient reads only the replies and outputs of its own requests.
        """
        from jupyter_core.utils import run_sync

        if self.client is None:
            client = self.km.client()
            client.start_channels()
            try:
                run_sync(client.wait_for_ready)(timeout=startup_timeout)
            except BaseException:
                client.stop_channels()
                raise
            client.allow_stdin = False
            self.client = client
        return self.client

    def pid(self) -> int | None:
        """The kernel's process id, when it is a local process."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def peak_rss(self) -> int:
        """The kernel process's peak resident memory in bytes (0 where unknown)."""
        try:
            status = Path(f"/proc/{self.pid()}/status").read_text()
        except OSError:
            return 0
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0

    def shutdown(self) -> None:
        """Kill the kernel and reap it (waiting up to :data:`SHUTDOWN_TIMEOUT` for its end)."""
        from jupyter_core.utils import run_sync

        for name in ("control", "client"):
            channels = getattr(self, name)
            if channels is not None:
                channels.stop_channels()
                setattr(self, name, None)
        if self.km is not None:
            km, self.km = self.km, None
            km.shutdown_wait_time = SHUTDOWN_TIMEOUT
            process = getattr(getattr(km, "provisioner", None), "process", None)
            if process is not None and process.poll() is None:
                # Killed and reaped here: jupyter_client's own kill then polls for the
                # end every 0.1 s (a tenth of a second at the end of every batch).
                process.kill()
                try:
                    process.wait(timeout=SHUTDOWN_TIMEOUT)
                except subprocess.TimeoutExpired:  # jupyter_client's shutdown tries again
                    pass
            try:
                run_sync(km.shutdown_kernel)(now=True)
            except Exception as exc:  # already gone: nothing left to stop
                log.debug("kernel shutdown: %s", exc)
        if self.sockets is not None:
            shutil.rmtree(self.sockets, ignore_errors=True)
            self.sockets = None


#: This process's warm kernels, by (kernel name, extra arguments).
_KERNELS: dict[tuple[str, tuple[str, ...]], WarmKernel] = {}
#: The largest peak resident memory of the kernels already stopped.
_PEAK_RSS = 0


def _kernel_for(kernel_name: str, extra_arguments: tuple[str, ...]) -> WarmKernel:
    """This process's kernel for these settings, started if there is none or it died."""
    key = (kernel_name, extra_arguments)
    kernel = _KERNELS.get(key)
    if kernel is not None and not kernel.alive():
        discard(kernel)
        kernel = None
    if kernel is None:
        kernel = WarmKernel(kernel_name, extra_arguments)
        kernel.start()
        _KERNELS[key] = kernel
    return kernel


def prestart(kernel_name: str, extra_arguments: tuple[str, ...] | list[str] = ()) -> None:
    """Start this process's warm kernel now, so it boots while the caller does other work."""
    _kernel_for(kernel_name, tuple(extra_arguments))


def discard(kernel: WarmKernel) -> None:
    """Stop ``kernel`` and forget it: the next notebook gets a fresh one."""
    global _PEAK_RSS
    for key, known in list(_KERNELS.items()):
        if known is kernel:
            del _KERNELS[key]
    _PEAK_RSS = max(_PEAK_RSS, kernel.peak_rss())
    kernel.shutdown()


def kernel_peak_rss() -> int:
    """The largest peak resident memory (bytes) of any warm kernel this process ran.

    Read from ``/proc`` (0 where it cannot be read, e.g. not on Linux).
    """
    return max([_PEAK_RSS, *(kernel.peak_rss() for kernel in _KERNELS.values())])


def has_kernels() -> bool:
    """Whether this process runs a warm kernel."""
    return bool(_KERNELS)


def shutdown_kernels() -> None:
    """Stop every warm kernel of this process (also done when the process exits)."""
    for kernel in list(_KERNELS.values()):
        discard(kernel)


atexit.register(shutdown_kernels)


def _make_engine_class() -> type:
    """The engine class, made on first use: it derives from papermill's Engine, and importing
    papermill (a second or more) should not delay starting a kernel with :func:`prestart`."""
    from papermill.engines import Engine

    class WarmEngine(Engine):
        """Papermill engine that runs notebooks in this process's warm kernel (see the module doc).
        """

        @classmethod
        def execute_notebook(cls, nb: Any, kernel_name: str, output_path: str | None = None,
                             **kwargs: Any) -> Any:
            """Papermill's execution, without rewriting the output notebook after every cell.

            Papermill writes the executed notebook when it finishes or a cell fails;
            the saves after each cell (about a third of a small report's time, the
            notebook holding its figures) only serve someone watching a long run.
            The notebook is written once when execution starts (so the file exists,
            as with papermill's engine, while it runs) and, when execution is cut
            short (a timeout, a dead kernel), as far as it got before the error is
            raised, as papermill's per-cell saves would have left it.
            """
            from papermill.iorw import write_ipynb

            if output_path:
                write_ipynb(nb, output_path)
            try:
                return super().execute_notebook(nb, kernel_name, output_path=None, **kwargs)
            except BaseException:
                if output_path:
                    write_ipynb(nb, output_path)
                raise

        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                     stdout_file: Any = None, stderr_file: Any = None,
                                     start_timeout: int = 60, execution_timeout: int | None = None,
                                     **kwargs: Any) -> Any:
            """Execute ``nb_man``'s notebook; retried once on a fresh kernel (module doc)."""
            from papermill.clientwrap import PapermillNotebookClient
            from papermill.log import logger

            kwargs.pop("input_path", None)
            extra_arguments = tuple(kwargs.pop("extra_arguments", ()) or ())
            timeout = execution_timeout or kwargs.pop("timeout", None)
            kwargs.pop("startup_timeout", None)
            for attempt in (1, 2):
                kernel = _kernel_for(kernel_name, extra_arguments)
                reused = kernel.notebooks > 0
                try:
                    if reused:
                        kernel.reset(os.getcwd())
                except KernelReplaced as exc:
                    log.info("warm kernel replaced before a notebook: %s", exc)
                    discard(kernel)
                    kernel = _kernel_for(kernel_name, extra_arguments)
                    reused = False
                client = PapermillNotebookClient(
                    nb_man, km=kernel.km, timeout=timeout, startup_timeout=start_timeout,
                    kernel_name=kernel_name, log=logger, log_output=log_output,
                    stdout_file=stdout_file, stderr_file=stderr_file,
                    extra_arguments=list(extra_arguments), **kwargs)
                try:
                    # The kernel's own client: nbclient then neither connects a new
                    # one nor stops it afterwards (it does not own the kernel).
                    client.kc = kernel.notebook_client(start_timeout)
                    client.execute()
                except Exception as exc:  # died, hung past the timeout, or never answered
                    discard(kernel)
                    if attempt == 2:
                        raise
                    log.info("warm kernel replaced after %s; running the notebook again", exc)
                    nb_man.notebook_start()
                    continue
                finally:
                    client.kc = None  # still the kernel's, or stopped by discard()
                kernel.notebooks += 1
                failed = bool(nb_man.nb.metadata.get("papermill", {}).get("exception"))
                if failed and reused and attempt == 1:
                    # A failure after other notebooks might come from them: a fresh
                    # kernel gives the verdict a cold build would.
                    discard(kernel)
                    nb_man.notebook_start()
                    continue
                return nb_man.nb
            raise AssertionError("unreachable: the second attempt returns or raises")

    WarmEngine.__qualname__ = "WarmEngine"
    return WarmEngine


_ENGINE_CLASS: list[type] = []


def __getattr__(name: str) -> Any:
    """``WarmEngine`` (the papermill engine class, what the entry point names), made lazily."""
    if name == "WarmEngine":
        if not _ENGINE_CLASS:
            _ENGINE_CLASS.append(_make_engine_class())
        return _ENGINE_CLASS[0]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register_engine() -> None:
    """Register :class:`WarmEngine` with papermill as :data:`ENGINE_NAME` (idempotent).

    The ``papermill.engine`` entry point does the same for an installed reportlib;
    this makes the engine available from a source tree too.
    """
    from papermill.engines import papermill_engines

    papermill_engines.register(ENGINE_NAME, __getattr__("WarmEngine"))


def kernel_pid(kernel_name: str, extra_arguments: tuple[str, ...] | list[str] = ()) -> int | None:
    """The process id of this process's warm kernel for these settings, if one runs."""
    kernel = _KERNELS.get((kernel_name, tuple(extra_arguments)))
    return None if kernel is None else kernel.pid()


__all__ = [
    "ENGINE_NAME",
    "KERNEL_SIDE",
    "MAX_KERNEL_RSS_BYTES",
    "PRELOAD_MODULES",
    "KernelReplaced",
    "WarmEngine",  # noqa: F822 (made on first use by __getattr__)
    "WarmKernel",
    "discard",
    "has_kernels",
    "kernel_peak_rss",
    "kernel_pid",
    "prestart",
    "register_engine",
    "shutdown_kernels",
]
