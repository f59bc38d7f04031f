"""The per-connection circuit breaker: open after N failures in a row, one probe after the
pause, closed again by an answer."""
from gateway.dispatch.breaker import CircuitBreaker


def test_opens_after_the_threshold_probes_once_and_closes_on_an_answer():
    now = [0.0]
    breaker = CircuitBreaker(threshold=3, open_s=30.0, clock=lambda: now[0])
    for _ in range(2):
        assert breaker.allow()
        breaker.record(failed=True)
    breaker.record(failed=False)  # an answer in between: the count starts over
    for _ in range(3):
        assert breaker.allow()
        breaker.record(failed=True)
    assert breaker.is_open and not breaker.allow()
    now[0] = 29.9
    assert not breaker.allow()
    now[0] = 30.0
    assert breaker.allow() and not breaker.allow()  # one probe at a time
    breaker.record(failed=True)  # the probe failed: open again for a whole pause
    now[0] = 59.0
    assert not breaker.allow()
    now[0] = 60.0
    assert breaker.allow()
    breaker.record(failed=False)
    assert not breaker.is_open and breaker.allow() and breaker.allow()
