"""PHP's SoapClient in WSDL mode (what Shopware, Magento, WooCommerce use) against the facade."""
from __future__ import annotations

import json
import subprocess
from datetime import timedelta

from tests.factories import wall_today

from .clients import matrix
from .conftest import PASSWORDS

SCRIPT = r"""
$client = new SoapClient($argv[1], ['login' => 'shop-a', 'password' => $argv[2],
    'exceptions' => true, 'cache_wsdl' => WSDL_CACHE_NONE, 'features' => SOAP_SINGLE_ELEMENT_ARRAYS]);
$claim = ['shopClaimId' => 'PHP-1', 'claimType' => 'GOODS_SOLD', 'reason' => 'Bestellung 4711',
  'principal' => '99.95', 'dunningFees' => '2.50', 'currency' => 'EUR',
  'dateOfOrigin' => $argv[3], 'counterPerformanceRendered' => true,
  'debtor' => ['kind' => 'COMPANY', 'company' => 'Bäckerei Weiß', 'legalForm' => 'GmbH',
    'street' => 'Hauptstraße', 'houseNumber' => '5', 'postcode' => '10115', 'city' => 'Berlin',
    'country' => 'DE']];
$receipt = $client->SubmitClaim(['claim' => $claim])->receipt;
$view = $client->GetClaim(['shopClaimId' => 'PHP-1'])->claim;
try { $client->GetClaim(['shopClaimId' => 'nope']); $fault = null; }
catch (SoapFault $f) { $fault = $f->faultcode; }
echo json_encode(['created' => $receipt->created, 'status' => $receipt->status,
  'principal' => $view->claim->principal, 'company' => $view->claim->debtor->company,
  'state' => $view->state, 'fault' => $fault]);
"""


def test_php_soapclient_wsdl_mode(facade, tmp_path):
    php = matrix.need_tools("php")["php"]
    modules = subprocess.run([php, "-m"], capture_output=True, text=True, timeout=30).stdout
    matrix.need("soap" in modules.split(), "php has no soap extension (php-soap)")
    script = tmp_path / "client.php"
    script.write_text("<?php\n" + SCRIPT)
    # The date comes from the facade's clock, not PHP's: the suite also runs with it moved.
    origin = (wall_today() - timedelta(days=40)).isoformat()
    done = subprocess.run([php, str(script), facade.endpoint + "?wsdl", PASSWORDS["shop-a"],
                           origin], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr + done.stdout
    result = json.loads(done.stdout)
    assert result == {"created": True, "status": "RECEIVED", "principal": "99.95",
                      "company": "Bäckerei Weiß", "state": "RECEIVED",
                      "fault": "soap11env:Client.NotFound"}
