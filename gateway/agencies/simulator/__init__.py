"""The agency simulator: a mediafinanz-style collection agency for development, the demo,
tests and benchmarks. Implements wsdl/agencies/mediafinanz/mediafinanz.wsdl.

    from gateway.agencies.simulator import start_simulator
    sim = start_simulator(latency_ms=0, fail_rate=0.0, seed=0, speed=0.0)
    try:
        ...  # point the client at sim.url with sim.application_key and sim.clients
        sim.stats(); sim.claims(); sim.inject("http503", "newClaim"); sim.advance(days=30)
    finally:
        sim.stop()

See server.py for the faults and the /_sim/* control endpoints, core.py for the
agency's behaviour (validation, duplicates, statuses over simulated time).
"""
from .core import (DEFAULT_APPLICATION_KEY, DEFAULT_CLIENTS, AgencySimulator, SimClock,
                   emitted_codes, licence_key)
from .server import FAULT_KINDS, SOAP_PATH, SimulatorApp, SimulatorHandle, serve, start_simulator

__all__ = [
    "DEFAULT_APPLICATION_KEY", "DEFAULT_CLIENTS", "FAULT_KINDS", "SOAP_PATH", "AgencySimulator",
    "SimClock", "SimulatorApp", "SimulatorHandle", "emitted_codes", "licence_key", "serve",
    "start_simulator",
]
