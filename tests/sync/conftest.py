"""One simulator per test module (several agency clients, small feed batches)."""
from __future__ import annotations

import pytest

from gateway.agencies.simulator import start_simulator
from tests.sync.helpers import CLIENTS


@pytest.fixture(scope="module")
def sim_module():
    # batch_size 4: a handful of changes already spans several feed batches.
    handle = start_simulator(seed=5, clients=CLIENTS, batch_size=4)
    yield handle
    handle.stop()


@pytest.fixture
def sim(sim_module):
    sim_module.reset()
    return sim_module
