"""Running a sweep on dask.distributed: batched cases, streamed to the store, resumable."""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lilean.parameters.set import ParameterSet
from lilean.sweep.cases import case_id, require_sweep_extra, run_batch
from lilean.sweep.spec import SweepSpec, load_spec
from lilean.sweep.store import prepare_output, spec_hash, verify_parts, write_part

#: most cases in one dask task when the batch size is automatic, before any case has finished
MAX_AUTO_BATCH = 16

#: once cases have finished, automatic batches grow towards this many seconds of work per task
#: (from the cases' mean ``elapsed_s``), so that dask's per-task cost (~4-5 ms of CPU in the
#: worker and as much in the driver's scheduler and client, measured on this 2-core machine)
#: stays near 2 % of the work even for millisecond cases
TARGET_TASK_S = 0.5

#: most cases in one automatic batch however cheap the cases are
MAX_ADAPTIVE_BATCH = 256

#: dask settings of the embedded cluster (it has no dashboard): no statistical profiler in the
#: workers (a stack sample every 10 ms), system monitor, event-loop tick and memory checks less
#: often (the memory limit is still enforced, checked every second instead of every 100 ms).
#: Measured with 2 idle workers on this 2-core machine: background CPU 3.0 % (driver) + 5.4 %
#: (workers) of a core with dask's defaults, 2.2 % + 1.6 % without the profiler and with the
#: slower ticks, 1.3 % + 1.0 % with the memory check every second; that CPU is taken from the
#: cases while a sweep runs.
EMBEDDED_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.tick.interval": "200ms",
    "distributed.worker.memory.monitor-interval": "1s",
}

#: environment variables that dask's nanny sets before it starts a worker process and that the
#: embedded cluster leaves out. ``MALLOC_TRIM_THRESHOLD_`` (dask's default 65536, meant to hand
#: freed memory back to the OS) also switches off glibc's dynamic mmap threshold, so every array
#: over 128 KiB is a fresh mmap: a 303-cycle case takes ~3,100 page faults instead of ~130 and
#: ~7 % more CPU (alternating A/B of two warm serial processes, 20 rounds of 8 cases: median
#: ratio 0.93, both runs). A sweep's cases allocate and free the same arrays over and over,
#: which the default allocator serves from memory it keeps.
EMBEDDED_CLUSTER_DROPPED_ENV = ("MALLOC_TRIM_THRESHOLD_",)


def embedded_cluster_config() -> dict[str, Any]:
    """:data:`EMBEDDED_CLUSTER_CONFIG` plus the nanny's pre-spawn environment of the current dask
    configuration without :data:`EMBEDDED_CLUSTER_DROPPED_ENV` (the thread-count variables,
    ``OMP_NUM_THREADS=1`` etc., stay)."""
    import dask

    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    for name in EMBEDDED_CLUSTER_DROPPED_ENV:
        env.pop(name, None)
    return {**EMBEDDED_CLUSTER_CONFIG, "distributed.nanny.pre-spawn-environ": env}


class SweepInterrupted(KeyboardInterrupt):
    """A sweep stopped by SIGINT (Ctrl-C) or SIGTERM (kill, systemd, batch schedulers); the
    finished cases are on disk. ``signum`` says which signal."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass(frozen=True)
class SweepSummary:
    """What :func:`run_sweep` did."""

    path: Path
    n_cases: int
    n_run: int
    n_skipped: int
    n_failed: int
    elapsed_s: float
    workers: int
    n_set_aside: int = 0
    batch_size: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "n_cases": self.n_cases,
            "n_run": self.n_run,
            "n_skipped": self.n_skipped,
            "n_failed": self.n_failed,
            "n_set_aside": self.n_set_aside,
            "elapsed_s": self.elapsed_s,
            "cases_per_s": self.n_run / self.elapsed_s if self.elapsed_s > 0 else None,
            "workers": self.workers,
            "batch_size": self.batch_size,
        }


@contextlib.contextmanager
def _ignoring_sigint() -> Iterator[None]:
    """Worker processes started inside inherit SIGINT ignored: Ctrl-C reaches the whole process
    group, and only the driver should react (no worker tracebacks); the driver cancels them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def make_client(scheduler: str | None = None, workers: int | None = None) -> tuple[Any, Any]:
    """A dask ``Client`` and the ``LocalCluster`` it owns (None when connecting to ``scheduler``).

    The embedded cluster runs ``workers`` processes (default: the CPU count) with one thread each
    and no dashboard (:func:`embedded_cluster_config`); its processes ignore SIGINT (the driver
    stops them)."""
    distributed = require_sweep_extra("distributed")
    if scheduler:
        return distributed.Client(scheduler), None
    import os

    import dask

    n = workers or os.cpu_count() or 1
    with _ignoring_sigint(), dask.config.set(embedded_cluster_config()):
        cluster = distributed.LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
        )
    return distributed.Client(cluster), cluster


class _DaskLogMute:
    """distributed's, tornado's and asyncio's log lines silenced from an interrupt until the
    cluster is torn down (:meth:`mute`; idempotent), then their levels as they were
    (:meth:`restore`).

    Each root logger and every existing logger below one that has a level of its own is set
    to CRITICAL: distributed's logging config gives some children their own level (e.g.
    ``tornado.application: error``), which the root's level does not override."""

    ROOTS = ("distributed", "tornado", "asyncio")

    def __init__(self) -> None:
        self._levels: list[tuple[logging.Logger, int]] | None = None

    def mute(self) -> None:
        if self._levels is not None:
            return
        names = [*self.ROOTS]
        names += [
            name
            for name, lg in logging.root.manager.loggerDict.items()
            if name.split(".", 1)[0] in self.ROOTS
            and name not in self.ROOTS
            and isinstance(lg, logging.Logger)
            and lg.level != logging.NOTSET
        ]
        self._levels = [(lg, lg.level) for lg in map(logging.getLogger, names)]
        for lg, _level in self._levels:
            lg.setLevel(logging.CRITICAL)

    def restore(self) -> None:
        for lg, level in self._levels or ():
            lg.setLevel(level)
        self._levels = None


@contextlib.contextmanager
def _signals_interrupt(mute: _DaskLogMute) -> Iterator[None]:
    """SIGTERM and SIGINT raise :class:`SweepInterrupted` in the driver (main thread only),
    with ``mute`` on first: the interrupt, passing through distributed's ``sync``, schedules
    its ``cancel`` callback on the client's event loop, which can run (and, in distributed's
    race between that callback and the future it cancels, log a NameError traceback through
    ``tornado.application``) before the driver reaches its teardown."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        mute.mute()
        raise SweepInterrupted(signum)

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def auto_batch_size(n_todo: int, n_workers: int) -> int:
    """Cases per task when not given, before any case has finished: about 8 tasks per worker,
    at most :data:`MAX_AUTO_BATCH` (the per-task overhead of dask, ~10 ms, then costs < 1 ms per
    case). :func:`batch_cases` grows it for cheap cases (:func:`adaptive_batch_size`) and
    shrinks it at the end."""
    return max(1, min(MAX_AUTO_BATCH, math.ceil(n_todo / (8 * max(1, n_workers)))))


def adaptive_batch_size(first: int, case_s: float | None) -> int:
    """The automatic batch cap once cases have taken ``case_s`` seconds each on average: enough
    cases for :data:`TARGET_TASK_S` of work, at least ``first``, at most
    :data:`MAX_ADAPTIVE_BATCH`."""
    if not case_s or not math.isfinite(case_s) or case_s <= 0:
        return first
    return max(first, min(MAX_ADAPTIVE_BATCH, math.ceil(TARGET_TASK_S / case_s)))


def batch_cases(
    items: list[Any],
    n_workers: int,
    size: int | None = None,
    case_s: Callable[[], float | None] | None = None,
) -> Iterator[list[Any]]:
    """``items`` in consecutive batches, in order: all of ``size`` when given; otherwise a
    variant of guided self-scheduling (Polychronopoulos & Kuck, IEEE Trans. Comput. 36, 1425
    (1987)): each batch holds ``ceil(remaining / (2 n_workers))`` cases, at most
    :func:`auto_batch_size` of the whole, so the batches shrink to single cases at the end and
    the workers finish together (with equal batches the last one keeps one worker busy while
    the others idle). ``case_s()``, asked before each batch, gives the mean seconds per finished
    case so far (None: none yet); the cap then grows to :func:`adaptive_batch_size` (cheap cases
    go many to a task), the guided bound still applies."""
    if size is not None:
        for k in range(0, len(items), size):
            yield items[k : k + size]
        return
    first = auto_batch_size(len(items), n_workers)
    k = 0
    while k < len(items):
        cap = adaptive_batch_size(first, case_s()) if case_s is not None else first
        step = max(1, min(cap, math.ceil((len(items) - k) / (2 * max(1, n_workers)))))
        yield items[k : k + step]
        k += step


def run_sweep(
    spec: SweepSpec | str | Path,
    out: str | Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    resume: bool = False,
    client: Any = None,
    params: ParameterSet | None = None,
    batch_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    say: Callable[[str], None] | None = None,
) -> SweepSummary:
    """Run every case of ``spec`` on Dask and stream the rows to the folder ``out``.

    ``client``: an existing ``distributed.Client`` (then ``scheduler`` / ``workers`` are ignored and
    the client is left open); otherwise one is made with :func:`make_client` and closed at the end.
    ``params`` overrides the spec's base parameter set. ``batch_size`` cases go in one task (None:
    automatic batches, :func:`batch_cases`, sized from the finished cases' mean time and shrinking
    at the end; the summary's ``batch_size`` is the largest).
    ``progress(done, total)`` is called as cases finish (``done`` counts skipped cases too).
    ``say(line)`` receives one line per part set aside on resume. Rows: ``case_index``,
    ``case_id``, the varied inputs, the outputs, ``error`` (None when the case ran) and
    ``elapsed_s``. SIGINT and SIGTERM stop the run with :class:`SweepInterrupted` after the
    finished rows are written.
    """
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    out = Path(out)
    base = params if params is not None else spec.parameters()
    phash = base.hash()
    the_hash = spec_hash(spec, phash)
    total = spec.n_cases()
    cases = [
        (i, case_id(spec.experiment, spec.fixed, inputs, phash), inputs)
        for i, inputs in enumerate(spec.cases())
    ]
    index_of = {cid: i for i, cid, _ in cases}
    prepare_output(out, spec, the_hash, resume)
    state = verify_parts(out, the_hash, index_of, say=say)
    done_ids = state.done_ids
    next_part = state.next_part
    columns = [
        "case_index",
        "case_id",
        *(d.name for d in spec.dimensions),
        *spec.outputs,
        "error",
        "elapsed_s",
    ]
    todo_cases = [c for c in cases if c[1] not in done_ids]
    n_skipped = total - len(todo_cases)

    own = client is None
    cluster = None
    if own:
        client, cluster = make_client(scheduler, workers)
    distributed = require_sweep_extra("distributed")
    n_workers = max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
    size = batch_size if batch_size is not None else auto_batch_size(len(todo_cases), n_workers)
    if size < 1:
        raise ValueError(f"batch_size {size}: expected >= 1")

    timing = [0.0, 0]  # seconds and number of the finished cases (the adaptive batch size)

    def mean_case_s() -> float | None:
        return timing[0] / timing[1] if timing[1] else None

    def todo() -> Iterator[list[tuple[int, str, dict[str, Any]]]]:
        return batch_cases(todo_cases, n_workers, batch_size, case_s=mean_case_s)

    t0 = time.perf_counter()
    n_run = n_failed = 0
    largest = 0
    buffer: list[dict[str, Any]] = []
    live: set[Any] = set()
    mute = _DaskLogMute()

    def submit(batch: list[tuple[int, str, dict[str, Any]]]) -> None:
        nonlocal largest
        largest = max(largest, len(batch))
        fut = client.submit(
            run_batch, spec.experiment, params_future, spec.fixed, batch, spec.outputs, pure=False
        )
        live.add(fut)
        pending.add(fut)

    try:
        with _signals_interrupt(mute):
            # hash=False: a fresh key per run. With content hashing a resumed run on the same
            # client reuses the key that the interrupted run's cancellation is still releasing.
            params_future = client.scatter(base, broadcast=True, hash=False)
            batches = todo()
            pending = distributed.as_completed()
            for batch in itertools.islice(batches, 4 * n_workers):
                submit(batch)
            if progress:
                progress(n_skipped, total)
            for fut in pending:
                rows = fut.result()
                live.discard(fut)
                fut.release()
                buffer.extend(rows)
                n_run += len(rows)
                timing[0] += sum(r["elapsed_s"] for r in rows)
                timing[1] += len(rows)
                n_failed += sum(r["error"] is not None for r in rows)
                nxt = next(batches, None)
                if nxt is not None:
                    submit(nxt)
                if len(buffer) >= spec.chunk_size:
                    write_part(out, next_part, buffer, columns, the_hash)
                    next_part += 1
                    buffer = []
                if progress:
                    progress(n_skipped + n_run, total)
    except KeyboardInterrupt:
        mute.mute()  # a KeyboardInterrupt of any origin: its teardown logs nothing either
        raise
    finally:
        # flush what finished, even on Ctrl-C, SIGTERM or an error: only cases in flight are lost
        try:
            with _ignoring_sigint():
                if buffer:
                    write_part(out, next_part, buffer, columns, the_hash)
                if live:
                    client.cancel(list(live))
                if own:
                    client.close()
                    if cluster is not None:
                        cluster.close()
        finally:
            mute.restore()
    return SweepSummary(
        out,
        total,
        n_run,
        n_skipped,
        n_failed,
        time.perf_counter() - t0,
        n_workers,
        n_set_aside=len(state.aside),
        batch_size=largest or size,
    )
