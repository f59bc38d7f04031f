"""The gunicorn worker of `gateway serve --workers N`: gunicorn's gthread worker with a
deadline for each request to arrive whole (GATEWAY_REQUEST_READ_TIMEOUT_S).

gthread reads a request in one of its threads with blocking reads and no time limit, so a
client sending a byte every few seconds holds that thread for ever, and as many such
clients as threads stop the process. Here every read of a request's bytes ends at the
deadline, counted from when a thread takes the request; then the client gets 408 and the
connection closes, as under waitress (gateway.cli.serve). Until then the thread is held:
the TLS proxy in front should buffer whole requests (README, "Running in production").
A module of its own: gunicorn is imported only by the processes that run it.
"""
from __future__ import annotations

import socket
import time

from gunicorn.workers.gthread import ThreadWorker

from gateway.config import load

from .serve import REQUEST_TIMEOUT


class _DeadlineSocket:
    """A connection's socket whose reads end at `deadline` (everything else passes through)."""

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self.deadline = float("inf")
        self.answered = False

    def __getattr__(self, name):
        return getattr(self._sock, name)

    def arm(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.answered = False

    def sendall(self, data, *flags):  # how gunicorn writes a response
        self.answered = True
        return self._sock.sendall(data, *flags)

    def recv(self, size, *flags):
        prior = self._sock.gettimeout()
        remaining = self.deadline - time.monotonic()
        try:
            if remaining > 0:
                self._sock.settimeout(remaining if prior is None else min(prior, remaining))
                try:
                    return self._sock.recv(size, *flags)
                except TimeoutError:
                    if time.monotonic() < self.deadline:
                        raise
        finally:
            self._sock.settimeout(prior)
        try:
            if not self.answered:
                self._sock.settimeout(0)
                self._sock.send(REQUEST_TIMEOUT)
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        return b""  # gunicorn takes it for a client gone and closes the connection quietly


class DeadlineThreadWorker(ThreadWorker):
    read_timeout_s = 30.0

    def init_process(self):
        # GATEWAY_* and GATEWAY_CONFIG as `gateway serve` passed them on (see facade_app).
        self.read_timeout_s = load().request_read_timeout_s
        super().init_process()

    def handle(self, conn):  # a pool thread, for each request
        if not isinstance(conn.sock, _DeadlineSocket):
            conn.sock = _DeadlineSocket(conn.sock)
        conn.sock.arm(self.read_timeout_s)
        return super().handle(conn)
