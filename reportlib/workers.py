"""Worker processes for a batch: each builds one report after another, and all are reaped.

Not :mod:`multiprocessing`: its "spawn" start method (the only safe one in a
process that may hold threads or a kernel's sockets) launches a resource
tracker that outlives the pool and is left a zombie when the batch process
ends under a container's init; and a :class:`concurrent.futures.ProcessPoolExecutor`
whose worker dies fails every run still queued. Here each worker is a plain
``python`` subprocess that reads pickled jobs on its stdin and writes pickled
results on its stdout (its own ``print`` output is sent to stderr), started
with the parent's ``sys.path``. A worker that dies fails only the job it was
running; the next job gets a new worker. Every worker is waited for before
:func:`run_in_workers` returns, also when it is interrupted.

Each worker keeps what it loaded between jobs (modules, an exporter, a warm
kernel): that is the point of keeping it. On Linux, from a process that runs
one thread and no kernel, the first workers are *forked* rather than started
afresh, so they begin with what this process already imported (reportlib,
pandas: about half a second of CPU each) instead of importing it again; a
worker started later (to replace one that died, when threads are running) is
a fresh ``python`` process. Either way it closes the pipes of the other
workers, so each sees the end of its input when its own pipe is closed.
"""

from __future__ import annotations

import gc
import importlib
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

#: Seconds a worker may take to exit once its input is closed (it kills and reaps its
#: kernel: well under a second) before it is killed.
EXIT_TIMEOUT = 20
#: Code a worker starts with: the parent's import path, then the job loop.
_BOOTSTRAP = ("import sys; sys.path[:] = sys.argv[2:]; "
              "from reportlib.workers import main; main(sys.argv[1])")
#: This process's ends of the live workers' pipes: a forked worker closes them, or
#: a worker started before it would never see the end of its input.
_PARENT_PIPES: set[int] = set()


def _resolve(ref: str) -> Callable[..., Any]:
    """The function named ``"package.module:function"``."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def main(setup: str) -> None:
    """A worker process: :func:`serve`, then exit (its kernels stopped) with its status."""
    code = 0
    try:
        serve(setup)
    except SystemExit as exc:  # SIGTERM from the parent
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 (a worker must end through _exit_now, whatever happened)
        traceback.print_exc()
        code = 1
    _exit_now(code)


def serve(setup: str) -> None:
    """A worker's main loop: call ``setup`` once, then run jobs until stdin closes.

    A job is a pickled ``(function reference, arguments)``; the reply is the
    pickled result. At the end the worker writes its peak memory (bytes,
    itself plus its warm kernels) as a last reply.
    """
    replies = os.fdopen(os.dup(1), "wb")
    requests = os.fdopen(os.dup(0), "rb")
    os.dup2(2, 1)  # a stray print goes to stderr, never into the replies
    # SIGTERM from the parent: end through main, which stops the kernel. Ctrl-C reaches
    # the whole process group; the parent answers it (with SIGTERM), so one signal ends a
    # build here, and its clean-up is not cut short by a second.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if setup:
        _resolve(setup)()
    while True:
        try:
            ref, args = pickle.load(requests)
        except EOFError:
            break
        pickle.dump(_resolve(ref)(*args), replies)
        replies.flush()
    pickle.dump(peak_memory(), replies)
    replies.flush()


def _exit_now(code: int = 0) -> None:
    """End the worker: stop its kernels and exit, without tearing the interpreter down.

    The interpreter's own exit (collecting every object of pandas, matplotlib,
    nbconvert...) takes a fifth of a second, which the batch would wait for.
    Nothing of it is needed: the replies are flushed, and the only state that
    outlives the process, the warm kernels, is stopped and reaped here.
    """
    engine = sys.modules.get("reportlib.engine")
    if engine is not None:
        engine.shutdown_kernels()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed: nothing to flush
            pass
    os._exit(code)


def peak_memory() -> int:
    """Peak resident memory (bytes) of this process plus the warm kernels it ran."""
    try:
        import resource
    except ImportError:  # not on a Unix
        return 0
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    engine = sys.modules.get("reportlib.engine")
    return own + (engine.kernel_peak_rss() if engine is not None else 0)


def may_fork() -> bool:
    """Whether a worker may be forked from this process now (else it is started afresh).

    Only on Linux, and only while this process runs one thread and no warm
    kernel: a lock another thread holds at the fork would stay held in the
    child, and a kernel's sockets must not be shared with it.
    """
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    if threading.active_count() != 1:
        return False
    engine = sys.modules.get("reportlib.engine")
    return engine is None or not engine.has_kernels()


class _Forked:
    """A worker forked from this process: the part of :class:`subprocess.Popen` _Worker uses."""

    def __init__(self, setup: str) -> None:
        requests_read, requests_write = os.pipe()
        replies_read, replies_write = os.pipe()
        for stream in (sys.stdout, sys.stderr):  # or the child would write them out again
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        pid = os.fork()
        if pid == 0:  # the worker
            try:
                gc.freeze()  # what it inherited is never collected: no scans, no copies
                for fd in (requests_write, replies_read, *_PARENT_PIPES):
                    os.close(fd)
                os.dup2(requests_read, 0)
                os.dup2(replies_write, 1)
                os.close(requests_read)
                os.close(replies_write)
                main(setup)
            finally:
                os._exit(1)  # main exits itself; this is for a failure before it runs
        os.close(requests_read)
        os.close(replies_write)
        self.pid = pid
        self.returncode: int | None = None
        self.stdin = os.fdopen(requests_write, "wb")
        self.stdout = os.fdopen(replies_read, "rb")
        # The batch's threads may poll, signal and reap it at once (an interrupt stops
        # every worker from the main thread while each worker's thread does the same):
        # one waitpid at a time, and no signal to a pid once it is reaped (and reusable).
        self._lock = threading.Lock()

    def _reap(self) -> int | None:
        """:meth:`poll`, the lock held."""
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped by another waitpid (not ours): status unknown
                pid, status = self.pid, 0
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def poll(self) -> int | None:
        """Its exit status (negative: the signal that killed it), None while it runs."""
        with self._lock:
            return self._reap()

    def wait(self, timeout: float | None = None) -> int:
        """Wait for it to exit (and reap it); raises TimeoutExpired after ``timeout`` s."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout)
            time.sleep(0.01)
        return code

    def _signal(self, signum: int) -> None:
        with self._lock:
            if self._reap() is None:  # not reaped: the pid is still this worker's
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)


class _Worker:
    """One worker subprocess and its pipes."""

    def __init__(self, setup: str, *, fork: bool = False) -> None:
        if fork:
            self.proc: Any = _Forked(setup)
        else:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _BOOTSTRAP, setup, *sys.path],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.pipes = (self.proc.stdin.fileno(), self.proc.stdout.fileno())
        _PARENT_PIPES.update(self.pipes)
        self._stopping = threading.Lock()

    def call(self, ref: str, args: tuple[Any, ...]) -> Any:
        """Run one job; raises EOFError or OSError when the worker died."""
        pickle.dump((ref, args), self.proc.stdin)
        self.proc.stdin.flush()
        return pickle.load(self.proc.stdout)

    def close(self) -> int:
        """Close its input, read its peak memory, wait for it (killed after EXIT_TIMEOUT)."""
        peak = 0
        try:
            self.proc.stdin.close()
            peak = pickle.load(self.proc.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            pass
        self.stop()
        return peak if isinstance(peak, int) else 0

    def stop(self) -> None:
        """Wait for it to exit, kill it if it does not within EXIT_TIMEOUT, and reap it.

        Safe from several threads at once (an interrupt stops every worker from
        the main thread while the worker's own thread may be stopping it too).
        """
        with self._stopping:
            if self.proc.poll() is None:
                try:
                    self.proc.wait(timeout=EXIT_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
            self.proc.wait()
            _PARENT_PIPES.difference_update(self.pipes)
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe is not None and not pipe.closed:
                    pipe.close()

    def terminate(self) -> None:
        """Stop it now (on an interrupt): SIGTERM, then SIGKILL; reaped either way."""
        if self.proc.poll() is None:
            self.proc.terminate()
        self.stop()


def run_in_workers(jobs: Sequence[tuple[Any, str, tuple[Any, ...]]], workers: int, *,
                   on_result: Callable[[Any, Any], None],
                   on_death: Callable[[Any, str], Any], setup: str = "",
                   fork: bool = True, started: Callable[[], None] | None = None) -> int:
    """Run ``jobs`` in ``workers`` subprocesses, in order; call ``on_result`` in this thread.

    Parameters
    ----------
    jobs:
        ``(key, "module:function", arguments)``: the function is imported and
        called in a worker; its result must pickle.
    workers:
        How many subprocesses run at once.
    on_result:
        Called with ``(key, result)`` as each job finishes.
    on_death:
        Called with ``(key, reason)`` when the worker running a job died; it
        returns the result to report for that job.
    setup:
        ``"module:function"`` each worker calls once when it starts (or "").
    fork:
        Fork the first workers from this process when :func:`may_fork` allows
        it (see the module doc); False: start every worker afresh.
    started:
        Called once the first workers exist, before any job runs: the place to
        start threads of one's own (a progress bar's), which would stop the forks.

    Returns
    -------
    The largest peak memory of one worker (bytes, see :func:`peak_memory`).
    """
    todo: queue.Queue[tuple[Any, str, tuple[Any, ...]]] = queue.Queue()
    for job in jobs:
        todo.put(job)
    done: queue.Queue[tuple[Any, Any]] = queue.Queue()
    stopping = threading.Event()
    live: list[_Worker] = []
    peaks: list[int] = []
    lock = threading.Lock()

    def drive(worker: _Worker | None) -> None:
        try:
            while not stopping.is_set():
                try:
                    key, ref, args = todo.get_nowait()
                except queue.Empty:
                    break
                if worker is None:
                    worker = _Worker(setup)
                    with lock:
                        live.append(worker)
                try:
                    result = worker.call(ref, args)
                except Exception as exc:  # the worker died, or its reply was cut short
                    worker.terminate()
                    code = worker.proc.returncode
                    worker = None
                    why = (f"exit status {code}" if code not in (0, None)
                           else f"{type(exc).__name__}: {exc}")
                    if code in (-signal.SIGKILL, 137):
                        why += " (killed: out of memory?)"
                    result = on_death(key, why)
                done.put((key, result))
        finally:
            if worker is not None:
                peak = worker.close()
                with lock:
                    peaks.append(peak)

    first: list[_Worker | None] = [None] * workers
    threads: list[threading.Thread] = []
    try:
        if fork and may_fork():
            for n in range(min(workers, len(jobs))):
                try:
                    first[n] = _Worker(setup, fork=True)
                except OSError:  # no fork now (EAGAIN, ENOMEM): the threads start workers afresh
                    break
                live.append(first[n])
        if started is not None:
            started()
        threads = [threading.Thread(target=drive, args=(first[n],), daemon=True,
                                    name=f"reportlib-worker-{n}") for n in range(workers)]
        for thread in threads:
            thread.start()
        for _ in range(len(jobs)):
            key, result = done.get()
            on_result(key, result)
    except BaseException:
        stopping.set()
        with lock:
            for worker in live:
                worker.terminate()
        raise
    finally:
        for thread in threads:
            thread.join()
    return max(peaks, default=0)


__all__ = ["EXIT_TIMEOUT", "main", "may_fork", "peak_memory", "run_in_workers", "serve"]
