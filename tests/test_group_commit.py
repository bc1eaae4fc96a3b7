"""Group commit: every caller gets its own answer, only after a write that held its item; waiting items share one."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from plugin.group_commit import GroupCommit


class Recorder:
    """A write that records its batches; the first batch waits until told, so the others pile up behind it."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.release = threading.Event()
        self.started = threading.Event()
        self.fail_on = fail_on

    def write(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        if len(self.batches) == 1:
            self.started.set()
            self.release.wait(5)
        if self.fail_on in items:
            raise RuntimeError("disk full")
        return [i * 10 for i in items]


def submit_all(group: GroupCommit, items: list[int], recorder: Recorder) -> dict[int, object]:
    answers: dict[int, object] = {}

    def call(item: int) -> None:
        try:
            answers[item] = group.submit(item)
        except RuntimeError as exc:
            answers[item] = exc

    first = threading.Thread(target=call, args=(items[0],))
    first.start()
    assert recorder.started.wait(5)
    rest = [threading.Thread(target=call, args=(i,)) for i in items[1:]]
    for t in rest:
        t.start()
    while len(group._waiting) < len(rest):  # every later caller is waiting behind the first write
        threading.Event().wait(0.005)
    recorder.release.set()
    for t in [first, *rest]:
        t.join(5)
    return answers


def test_callers_waiting_during_a_write_share_the_next_one() -> None:
    recorder = Recorder()
    group = GroupCommit(recorder.write)
    answers = submit_all(group, list(range(1, 9)), recorder)
    assert answers == {i: i * 10 for i in range(1, 9)}
    assert recorder.batches[0] == [1] and sorted(recorder.batches[1]) == list(range(2, 9)) and len(recorder.batches) == 2


def test_a_batch_larger_than_the_limit_is_written_in_turns() -> None:
    recorder = Recorder()
    group = GroupCommit(recorder.write, max_batch=3)
    answers = submit_all(group, list(range(1, 9)), recorder)
    assert answers == {i: i * 10 for i in range(1, 9)}
    assert [len(b) for b in recorder.batches] == [1, 3, 3, 1]


def test_a_failed_write_fails_every_caller_of_that_batch_only() -> None:
    recorder = Recorder(fail_on=5)
    group = GroupCommit(recorder.write, max_batch=4)
    answers = submit_all(group, list(range(1, 9)), recorder)
    failed = {i for i, a in answers.items() if isinstance(a, RuntimeError)}
    batch_with_5 = next(b for b in recorder.batches if 5 in b)
    assert failed == set(batch_with_5) and 1 not in failed
    assert all(answers[i] == i * 10 for i in answers if i not in failed)
    assert group.submit(100) == 1000  # the group still works after a failure


def test_an_answer_count_that_does_not_match_is_an_error() -> None:
    group = GroupCommit(lambda items: [])
    with pytest.raises(ValueError):
        group.submit(1)
