"""Group commit: the writes that arrive while one transaction runs share the next one.

Each caller hands in its item and returns only once a transaction holding that item has committed
(or failed: then every caller of that batch sees the error). No writer thread: the caller that gets
the turn writes everything waiting at that moment, its own item and the others'; the rest find
their item done when their turn comes. One commit then serves many deliveries, so a commit that
costs an fsync or a network round trip is paid once per batch, not once per request.

``writers`` turns may run at once (each its own batch): on a server that takes concurrent writers
(PostgreSQL), a batch can be sent while the one before waits for its commit's WAL flush, instead of
the whole process waiting idle behind one round trip. SQLite takes one writer: one turn.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[T, R]):
    __slots__ = ("item", "taken", "done", "result", "error", "finished")

    def __init__(self, item: T) -> None:
        self.item = item
        self.taken = False  # in a batch being written (by this caller or another)
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None
        self.finished: threading.Lock | None = None  # with several writers: held until done


class GroupCommit(Generic[T, R]):
    """``write(items)`` commits a batch in one transaction and returns one result per item, in order."""

    def __init__(self, write: Callable[[Sequence[T]], Sequence[R]], max_batch: int = 100, writers: int = 1) -> None:
        self._write = write
        self._max_batch = max_batch
        self._writers = writers
        # At most ``writers`` transactions at a time in this process (a lock when one: the common case).
        self._turn: threading.Lock | threading.Semaphore = threading.Lock() if writers == 1 else threading.Semaphore(writers)
        self._guard = threading.Lock()  # protects _waiting and the slots' taken flags
        self._waiting: list[_Slot[T, R]] = []

    def submit(self, item: T) -> R:
        slot: _Slot[T, R] = _Slot(item)
        if self._writers > 1:
            slot.finished = threading.Lock()
            slot.finished.acquire()
        with self._guard:
            self._waiting.append(slot)
        while not slot.taken:  # more than max_batch waiting: our item may need a later turn
            with self._turn:
                with self._guard:
                    if slot.taken:
                        break
                    batch, self._waiting = self._waiting[:self._max_batch], self._waiting[self._max_batch:]
                    for s in batch:
                        s.taken = True
                self._run(batch)
        if not slot.done:  # in another caller's batch, still being written
            if slot.finished is not None:
                slot.finished.acquire()
            else:
                with self._turn:  # one writer: it holds the turn until our item is done
                    pass
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _run(self, batch: list[_Slot[T, R]]) -> None:
        try:
            results = self._write([s.item for s in batch])
        except BaseException as exc:
            for s in batch:
                s.error = exc
                self._finish(s)
            return
        for s, result in zip(batch, results, strict=True):
            s.result = result
            self._finish(s)

    @staticmethod
    def _finish(slot: _Slot[T, R]) -> None:
        slot.done = True
        if slot.finished is not None:
            slot.finished.release()
