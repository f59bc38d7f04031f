"""SQLite writers of different processes take turns on the writer lock (an flock), also
a process forked while its parent holds the lock."""
from __future__ import annotations

import multiprocessing as mp
import sys
import time

import pytest

from gateway.store.unit_of_work import SqliteWriterLock

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")


def _take_and_report(lock: SqliteWriterLock, queue) -> None:
    started = time.monotonic()
    lock.acquire()
    queue.put(time.monotonic() - started)
    lock.release()


def test_a_forked_process_waits_until_the_parent_releases(tmp_path):
    lock = SqliteWriterLock(str(tmp_path / "gateway.db"))
    lock.acquire()
    lock.acquire()  # re-entrant in this thread
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_take_and_report, args=(lock, queue))
    child.start()
    try:
        time.sleep(0.5)
        lock.release()
        time.sleep(0.3)
        assert queue.empty()  # still held: the outer acquire
        lock.release()
        waited = queue.get(timeout=10)
    finally:
        child.join(10)
    assert waited >= 0.7 and child.exitcode == 0
    lock.acquire()  # and the parent gets it back
    lock.release()
