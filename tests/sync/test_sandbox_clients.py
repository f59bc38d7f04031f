"""The zero-config sandbox gives every shop a simulated agency client of its own, so two
shops' claims and changes never mix there either."""
from __future__ import annotations

import pytest

from gateway.agencies.simulator import start_simulator
from gateway.service import claims as uc
from tests.factories import NOW, content
from tests.integration.test_cli import run
from tests.sync.helpers import sync
from tests.sync.test_shared_account import hand_over


@pytest.fixture
def sandbox():
    # As `gateway serve` runs it without GATEWAY_AGENCY_URL.
    handle = start_simulator(seed=2, start=NOW, sandbox_clients=True)
    yield handle
    handle.stop()


def test_shops_added_without_credentials_get_their_own_simulated_clients(gateway, db_url,
                                                                          sandbox):
    for shop in ("shop-one", "shop-two"):
        added = run("shops", "add", shop, "--password", "correct horse battery", db_url=db_url,
                    env={"GATEWAY_AGENCY_URL": ""})
        assert added.returncode == 0, added.stderr
        assert "(simulated sandbox client)" in added.stdout
    with gateway.read_uow() as uow:
        accounts = {s.id: uow.agencies.credentials(s.agency_account) for s in uow.shops.list()}
    assert accounts["shop-one"].client_id != accounts["shop-two"].client_id

    for shop in ("shop-one", "shop-two"):
        uc.submit_claim(gateway.uow, shop, content("RE-1"), now=NOW)
    hand_over(gateway, sandbox)
    one, two = (uc.get_claim(gateway.read_uow, s, "RE-1") for s in ("shop-one", "shop-two"))
    assert one.agency_file_number != two.agency_file_number
    sandbox.advance(2)
    report = sync(gateway, sandbox)
    assert (report.exit_code, report.unknown_file_numbers) == (0, 0), report.as_dict()
    assert {uc.get_claim(gateway.read_uow, s, "RE-1").state.value
            for s in ("shop-one", "shop-two")} == {"IN_COLLECTION"}


def test_the_sandbox_refuses_a_wrong_key_for_its_clients(sandbox):
    from gateway.agencies.mediafinanz import MediafinanzAgency
    from gateway.agencies.simulator.core import sandbox_client_key
    from gateway.service.agency_port import AgencyAuthFailed, AgencyCredentials

    agency = MediafinanzAgency(sandbox.url, sandbox.application_key, timeout_s=5)
    try:
        agency.check_credentials(AgencyCredentials("100001", sandbox_client_key(100001)))
        with pytest.raises(AgencyAuthFailed):
            agency.check_credentials(AgencyCredentials("100001", "guessed"))
        with pytest.raises(AgencyAuthFailed):  # outside the sandbox range: a real client id
            agency.check_credentials(AgencyCredentials("4711", sandbox_client_key(4711)))
    finally:
        agency.close()
