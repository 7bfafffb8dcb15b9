"""Models the server hosts: compiled TensorFlow functions (with optional dynamic batching) and
synthetic models of known capacity. All inference goes through `ServedModel.infer`."""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ipsbench.server.stats import ModelStats

now = time.perf_counter


@dataclass(frozen=True)
class Timing:
    queue_s: float
    compute_s: float

    def server_timing_header(self) -> str:
        """W3C Server-Timing: the load engine splits a round trip with it."""
        return f"queue;dur={self.queue_s * 1000:.3f}, compute;dur={self.compute_s * 1000:.3f}"


@dataclass
class ServedModel(ABC):
    name: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    platform: str
    max_batch_size: int = 64
    version: str = "1"
    input_name: str = "input"
    output_name: str = "output"
    stats: ModelStats = field(default_factory=ModelStats)

    async def infer(self, x: np.ndarray) -> tuple[np.ndarray, Timing]:
        """Run a float32 batch [b, *input_shape]; counts it in `stats`."""
        started = now()
        try:
            y, timing = await self._infer(x)
        except Exception:
            self.stats.record_failure(now() - started)
            raise
        self.stats.record_request(len(x), timing.queue_s, timing.compute_s, now() - started)
        return y, timing

    @abstractmethod
    async def _infer(self, x: np.ndarray) -> tuple[np.ndarray, Timing]: ...

    async def warm_up(self) -> None:
        for batch in (1, min(32, self.max_batch_size)):
            await self._infer(np.zeros((batch, *self.input_shape), dtype=np.float32))


class ComputeModel(ServedModel):
    """A synchronous function numpy -> numpy (a compiled tf.function) run on a thread pool."""

    def __init__(
        self,
        *,
        fn: Callable[[np.ndarray], np.ndarray],
        pool: ThreadPoolExecutor,
        workers: int,
        max_batch: int = 0,
        batch_timeout_s: float = 0.0,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._fn = fn
        self._pool = pool
        self._batcher = (
            DynamicBatcher(self._execute, pool, max_batch, batch_timeout_s, workers)
            if max_batch > 1
            else None
        )

    def _execute(self, x: np.ndarray) -> tuple[np.ndarray, float, float]:
        started = now()
        y = self._fn(x)
        return y, started, now()

    async def _infer(self, x: np.ndarray) -> tuple[np.ndarray, Timing]:
        if self._batcher is not None:
            y, timing, batch = await self._batcher.submit(x)
            if batch:
                self.stats.record_execution(batch, timing.compute_s)
            return y, timing
        queued = now()
        y, started, ended = await asyncio.get_running_loop().run_in_executor(
            self._pool, self._execute, x
        )
        self.stats.record_execution(len(x), ended - started)
        return y, Timing(started - queued, ended - started)


@dataclass
class _Pending:
    x: np.ndarray
    future: asyncio.Future
    queued: float


class DynamicBatcher:
    """Merges concurrent requests for one model into one call of up to `max_batch` rows.

    A batch closes when it holds `max_batch` rows or `timeout_s` after its first request
    arrived; up to `parallel` batches run at once (one per pool thread), so the next batch
    is gathered while one computes.
    """

    def __init__(
        self,
        execute: Callable[[np.ndarray], tuple[np.ndarray, float, float]],
        pool: ThreadPoolExecutor,
        max_batch: int,
        timeout_s: float,
        parallel: int,
    ) -> None:
        self._execute = execute
        self._pool = pool
        self._max_batch = max_batch
        self._timeout_s = timeout_s
        self._parallel = parallel
        self._queue: asyncio.Queue[_Pending] | None = None
        self._collector: asyncio.Task | None = None
        self._carry: _Pending | None = None

    async def submit(self, x: np.ndarray) -> tuple[np.ndarray, Timing, int]:
        """The rows of `x`'s result, its timing, and the batch size if it led the batch (else 0)."""
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._slots = asyncio.Semaphore(self._parallel)
            self._collector = asyncio.create_task(self._collect())
        future = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(x, future, now()))
        return await future

    async def _next(self, timeout: float) -> _Pending | None:
        assert self._queue is not None
        if self._carry is not None:
            item, self._carry = self._carry, None
            return item
        if timeout <= 0:
            try:
                return self._queue.get_nowait()
            except asyncio.QueueEmpty:
                return None
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    async def _collect(self) -> None:
        while True:
            await self._slots.acquire()
            first = await self._next(3600.0)
            while first is None:
                first = await self._next(3600.0)
            batch = [first]
            rows = len(first.x)
            deadline = first.queued + self._timeout_s
            while rows < self._max_batch:
                item = await self._next(deadline - now())
                if item is None:
                    break
                if rows + len(item.x) > self._max_batch:
                    self._carry = item
                    break
                batch.append(item)
                rows += len(item.x)
            asyncio.create_task(self._run(batch))

    async def _run(self, batch: list[_Pending]) -> None:
        try:
            x = batch[0].x if len(batch) == 1 else np.concatenate([p.x for p in batch])
            loop = asyncio.get_running_loop()
            try:
                y, started, ended = await loop.run_in_executor(self._pool, self._execute, x)
            except Exception as exc:  # the model failed: every waiting request fails with it
                for p in batch:
                    if not p.future.done():
                        p.future.set_exception(exc)
                return
            offset = 0
            for index, p in enumerate(batch):
                rows = len(p.x)
                timing = Timing(started - p.queued, ended - started)
                if not p.future.done():
                    p.future.set_result(
                        (y[offset : offset + rows], timing, len(x) if index == 0 else 0)
                    )
                offset += rows
        finally:
            self._slots.release()


# The event loop's timers have millisecond granularity (epoll's timeout), so a plain sleep
# overshoots by up to 1 ms; the last stretch is spent yielding to the loop instead.
_TIMER_SLACK_S = 0.0015


async def _sleep_until(due: float) -> None:
    delay = due - now() - _TIMER_SLACK_S
    if delay > 0:
        await asyncio.sleep(delay)
    while now() < due:
        await asyncio.sleep(0)


class SyntheticModel(ServedModel):
    """A model of known capacity for calibration, needing no TensorFlow.

    Each request holds one of `slots` for `service_s` (whatever its batch size), so capacity
    is slots / service_s requests per second. The schedule is kept per slot in virtual time
    (a slot is next free at the instant its last request was due to end, not when the event
    loop woke up), so timer jitter does not erode the declared capacity. Optionally the whole
    model stalls for `stall_s` every `stall_every_s` (counted from server start), as a garbage
    collector or a checkpoint would, to expose coordinated omission in a load generator.
    The output is the input, echoed.
    """

    def __init__(
        self,
        *,
        service_s: float,
        slots: int,
        stall_every_s: float = 0.0,
        stall_s: float = 0.0,
        **kwargs: object,
    ) -> None:
        kwargs.setdefault("platform", "ipsbench_synthetic")
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.service_s = service_s
        self.slots = slots
        self.stall_every_s = stall_every_s
        self.stall_s = stall_s
        self._origin = now()
        self._free: asyncio.Queue[float] | None = None

    @property
    def capacity(self) -> float:
        return self.slots / self.service_s

    def _after_stall(self, t: float) -> float:
        if not self.stall_every_s or not self.stall_s:
            return t
        phase = (t - self._origin) % self.stall_every_s
        return t + (self.stall_s - phase) if phase < self.stall_s else t

    async def _infer(self, x: np.ndarray) -> tuple[np.ndarray, Timing]:
        if self._free is None:
            self._free = asyncio.Queue()
            for _ in range(self.slots):
                self._free.put_nowait(0.0)
        queued = now()
        free_at = await self._free.get()
        start = self._after_stall(max(queued, free_at))
        due = start + self.service_s
        try:
            await _sleep_until(due)
        finally:
            self._free.put_nowait(due)
        self.stats.record_execution(len(x), self.service_s)
        return x.copy(), Timing(start - queued, now() - start)

    async def warm_up(self) -> None:
        return None
