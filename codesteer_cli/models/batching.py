"""A micro-batcher: many threads submit one request each, one thread runs them together.

The worker takes the first waiting request, keeps collecting for `window_s` (or until
`max_batch` are waiting), runs the whole batch with one call of `run_batch`, and hands
each caller its own result. While a batch runs, new requests queue up and form the next
batch, so several episodes running at once share the forward passes of a local model.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

log = logging.getLogger("codesteer.models")

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    def __init__(
        self,
        run_batch: Callable[[list[T]], Sequence[R]],
        *,
        max_batch: int = 16,
        window_s: float = 0.02,
        name: str = "batcher",
        bucket: Callable[[T], Hashable] | None = None,
    ) -> None:
        """`bucket`: requests only share a batch with requests of the same bucket (for a
        local model: short and long generations, so an 8-token guide reply does not wait
        for 128-token rows to finish)."""
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.run_batch = run_batch
        self.max_batch = max_batch
        self.window_s = window_s
        self.name = name
        self.batches = 0  # calls of run_batch (= generate calls for a local model)
        self.items = 0
        self.batch_sizes: list[int] = []
        self.bucket = bucket
        self._queue: queue.Queue[tuple[T, Future[R]]] = queue.Queue()
        # Requests taken from the queue for another bucket; only the worker touches it.
        self._held: deque[tuple[T, Future[R]]] = deque()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, item: T) -> Future[R]:
        fut: Future[R] = Future()
        self._queue.put((item, fut))
        self._ensure_thread()
        return fut

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()

    def _collect(self) -> list[tuple[T, Future[R]]]:
        first = self._held.popleft() if self._held else self._queue.get()
        key = self.bucket(first[0]) if self.bucket else None
        batch = [first]

        def take(entry: tuple[T, Future[R]]) -> None:
            if self.bucket is None or self.bucket(entry[0]) == key:
                batch.append(entry)
            else:
                self._held.append(entry)

        for _ in range(len(self._held)):  # held requests of this bucket go first
            entry = self._held.popleft()
            if len(batch) < self.max_batch and self.bucket and self.bucket(entry[0]) == key:
                batch.append(entry)
            else:
                self._held.append(entry)
        deadline = time.monotonic() + self.window_s
        while len(batch) < self.max_batch:
            try:
                take(self._queue.get_nowait())  # already waiting: take at once
                continue
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                take(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _loop(self) -> None:
        while True:
            batch = self._collect()
            live = [(item, fut) for item, fut in batch if fut.set_running_or_notify_cancel()]
            if not live:
                continue
            with self._lock:
                self.batches += 1
                self.items += len(live)
                self.batch_sizes.append(len(live))
            try:
                results = self.run_batch([item for item, _ in live])
                if len(results) != len(live):
                    raise RuntimeError(f"batch of {len(live)} returned {len(results)} results")
            except BaseException as exc:  # every caller of this batch gets the error
                log.warning("%s: batch of %d failed: %s", self.name, len(live), exc)
                for _, fut in live:
                    fut.set_exception(exc)
                continue
            for (_, fut), res in zip(live, results, strict=True):
                fut.set_result(res)

    def counters(self) -> dict[str, int]:
        with self._lock:
            return {"batches": self.batches, "items": self.items}
