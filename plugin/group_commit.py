"""Group commit: the writes that arrive while one transaction runs share the next one.

Each caller hands in its item and returns only once a transaction holding that item has committed
(or failed: then every caller of that batch sees the error). No writer thread: the caller that gets
the turn writes everything waiting at that moment, its own item and the others'; the rest find
their item done when their turn comes. One commit then serves many deliveries, so a commit that
costs an fsync or a network round trip is paid once per batch, not once per request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[T, R]):
    __slots__ = ("item", "done", "result", "error")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """``write(items)`` commits a batch in one transaction and returns one result per item, in order."""

    def __init__(self, write: Callable[[Sequence[T]], Sequence[R]], max_batch: int = 100) -> None:
        self._write = write
        self._max_batch = max_batch
        self._turn = threading.Lock()  # one transaction at a time in this process
        self._guard = threading.Lock()  # protects _waiting
        self._waiting: list[_Slot[T, R]] = []

    def submit(self, item: T) -> R:
        slot: _Slot[T, R] = _Slot(item)
        with self._guard:
            self._waiting.append(slot)
        while not slot.done:  # more than max_batch waiting: our item may need a later turn
            with self._turn:
                if not slot.done:
                    with self._guard:
                        batch, self._waiting = self._waiting[:self._max_batch], self._waiting[self._max_batch:]
                    self._run(batch)
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _run(self, batch: list[_Slot[T, R]]) -> None:
        try:
            results = self._write([s.item for s in batch])
        except BaseException as exc:
            for s in batch:
                s.error, s.done = exc, True
            return
        for s, result in zip(batch, results, strict=True):
            s.result, s.done = result, True
