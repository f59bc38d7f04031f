"""Shop passwords: a salted, slow hash (scrypt from the stdlib), compared in constant time.

Checks under load go through a PasswordChecker: at most a few hashes at once, each on one
of the checker's own threads (see there why), so neither CPU nor memory grows with the
number of callers.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

# scrypt cost: ~20-50 ms per check on this kind of machine, so a leaked table
# is slow to attack; the facade caches successful checks briefly so shops
# do not pay it on every request.
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "scrypt${}${}${}${}${}".format(_N, _R, _P, _b64(salt), _b64(digest))


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        # Spend the same time as a real check, so timing does not tell which part was wrong.
        hashlib.scrypt(password.encode(), salt=b"0" * 16, n=_N, r=_R, p=_P, dklen=32)
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                                r=int(r), p=int(p), dklen=len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


class PasswordCheckBusy(Exception):
    """No hash slot came free within the wait: the answer is "retry later", not "wrong"."""


class PasswordChecker:
    """verify_password with at most `slots` hashes computed at once.

    The hashes run on `slots` threads of the checker's own, never on the callers'. Each
    scrypt (n=2^14, r=8) takes 16 MiB from malloc; glibc serves each thread from an arena
    of its own and keeps freed memory in it, so hashes computed on many request threads
    left 16-32 MiB behind per thread (82 -> 380-470 MiB RSS under guessing); on a few
    threads of its own they leave at most that many arenas' worth. A caller waits up to
    wait_s for a slot, then gets PasswordCheckBusy.
    """

    def __init__(self, slots: int):
        self.slots = slots
        self._free = threading.BoundedSemaphore(slots)
        self._threads = ThreadPoolExecutor(slots, thread_name_prefix="password-check")

    def verify(self, password: str, stored: str | None, wait_s: float) -> bool:
        if not self._free.acquire(timeout=wait_s):
            raise PasswordCheckBusy(f"all {self.slots} password check slots busy for {wait_s} s")
        try:
            return self._threads.submit(verify_password, password, stored).result()
        finally:
            self._free.release()


_CHECKERS: dict[int, PasswordChecker] = {}
_CHECKERS_GUARD = threading.Lock()


def cpu_count() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def shared_checker(slots: int = 0) -> PasswordChecker:
    """The process's checker with `slots` slots (0: one per CPU): one pool per process,
    however many facades it builds, so the bound holds for the process."""
    slots = slots or cpu_count()
    with _CHECKERS_GUARD:
        found = _CHECKERS.get(slots)
        if found is None:
            found = _CHECKERS[slots] = PasswordChecker(slots)
        return found


def _forget_checkers_after_fork() -> None:
    # A forked child has none of its parent's threads (nor a lock one of them held).
    global _CHECKERS_GUARD
    _CHECKERS.clear()
    _CHECKERS_GUARD = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_checkers_after_fork)


def generate_password() -> str:
    return secrets.token_urlsafe(18)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
