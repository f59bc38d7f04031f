"""One simulator per test module (several agency clients, small feed batches).

Its calendar starts at the NOW the seeded claims were stored at (tests.sync.helpers.seed),
so the agency's today and the claims' dates agree whatever the real date is.
"""
from __future__ import annotations

import pytest

from gateway.agencies.simulator import start_simulator
from tests.factories import NOW
from tests.sync.helpers import CLIENTS


@pytest.fixture(scope="module")
def sim_module():
    # batch_size 4: a handful of changes already spans several feed batches.
    handle = start_simulator(seed=5, clients=CLIENTS, batch_size=4, start=NOW)
    yield handle
    handle.stop()


@pytest.fixture
def sim(sim_module):
    sim_module.reset()
    return sim_module
