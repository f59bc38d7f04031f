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

The same agency's REST API v2.1 (rest_server.py) runs on the same core, with the same
faults and control endpoints:

    from gateway.agencies.simulator import start_rest_simulator
    with start_rest_simulator(start=datetime(2024, 6, 3, 9, 0, tzinfo=timezone.utc)) as sim:
        ...  # MediafinanzRestAgency(sim.url); credentials from sim.clients[sim.uuid]
"""
from .core import (DEFAULT_APPLICATION_KEY, DEFAULT_CLIENTS, AgencySimulator, SimClock,
                   emitted_codes, licence_key)
from .server import FAULT_KINDS, SOAP_PATH, SimulatorApp, SimulatorHandle, serve, start_simulator
from .rest_server import (DEFAULT_REST_CLIENTS, DEFAULT_REST_UUID, RestClient,
                          RestSimulatorApp, RestSimulatorHandle, serve_rest,
                          start_rest_simulator)

__all__ = [
    "DEFAULT_APPLICATION_KEY", "DEFAULT_CLIENTS", "FAULT_KINDS", "SOAP_PATH", "AgencySimulator",
    "SimClock", "SimulatorApp", "SimulatorHandle", "emitted_codes", "licence_key", "serve",
    "start_simulator",
    "DEFAULT_REST_CLIENTS", "DEFAULT_REST_UUID", "RestClient", "RestSimulatorApp",
    "RestSimulatorHandle", "serve_rest", "start_rest_simulator",
]
