"""Group commit: the writes that arrive while one transaction runs share the next one.

Each caller hands in its item and returns only once a transaction holding that item has committed
(or failed: then every caller of that batch sees the error). No writer thread: the caller that finds
no transaction running writes, its own item and everything waiting; callers arriving meanwhile wait,
and when the write ends the writer wakes each of its batch once, and the first caller still waiting
to lead the next batch. One commit then serves many deliveries, so a commit that costs an fsync or a
network round trip is paid once per batch, not once per request.

Why each waiter has a lock of its own (not one "turn" lock that everybody queues on): with one lock,
the callers of a finished batch woke one after another, each taking and handing on that lock (and the
interpreter lock) only to find its item done, and the next batch's writer came last in that chain.
Here every waiter is woken exactly once, straight by the writer (measured: fewer context switches
per delivery in the web process, benchmarks/intake_cost.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[T, R]):
    __slots__ = ("item", "wake", "lead", "result", "error")

    def __init__(self, item: T) -> None:
        self.item = item
        self.wake = threading.Lock()  # held until the writer releases it: done, or lead the next batch
        self.wake.acquire()
        self.lead = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """``write(items)`` commits a batch in one transaction and returns one result per item, in order."""

    def __init__(self, write: Callable[[Sequence[T]], Sequence[R]], max_batch: int = 100) -> None:
        self._write = write
        self._max_batch = max_batch
        self._guard = threading.Lock()  # protects _waiting and _writing
        self._writing = False  # a caller is writing a batch (one transaction at a time in this process)
        self._waiting: list[_Slot[T, R]] = []

    def submit(self, item: T) -> R:
        slot: _Slot[T, R] = _Slot(item)
        with self._guard:
            self._waiting.append(slot)
            lead = not self._writing
            self._writing = True
        if not lead:
            slot.wake.acquire()  # until our batch is written, or we are to write the next one
            lead = slot.lead
        if lead:
            self._lead()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _lead(self) -> None:
        """Write the waiting items (the leader's own first), wake their callers, hand the turn on."""
        with self._guard:
            batch, self._waiting = self._waiting[:self._max_batch], self._waiting[self._max_batch:]
        try:
            self._run(batch)
        finally:
            with self._guard:
                following = self._waiting[0] if self._waiting else None
                self._writing = following is not None
            for s in batch[1:]:  # batch[0] is the leader itself: awake
                s.wake.release()
            if following is not None:
                following.lead = True
                following.wake.release()

    def _run(self, batch: list[_Slot[T, R]]) -> None:
        try:
            results = self._write([s.item for s in batch])
            if len(results) != len(batch):
                raise ValueError(f"the write gave {len(results)} results for {len(batch)} items")
        except BaseException as exc:
            for s in batch:
                s.error = exc
            return
        for s, result in zip(batch, results, strict=True):  # lengths checked above
            s.result = result
