"""PHP's SoapClient in WSDL mode (what Shopware, Magento, WooCommerce use) against the facade."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from .conftest import PASSWORDS

PHP = shutil.which("php")
SCRIPT = r"""
$client = new SoapClient($argv[1], ['login' => 'shop-a', 'password' => $argv[2],
    'exceptions' => true, 'cache_wsdl' => WSDL_CACHE_NONE, 'features' => SOAP_SINGLE_ELEMENT_ARRAYS]);
$claim = ['shopClaimId' => 'PHP-1', 'claimType' => 'GOODS_SOLD', 'reason' => 'Bestellung 4711',
  'principal' => '99.95', 'dunningFees' => '2.50', 'currency' => 'EUR',
  'dateOfOrigin' => date('Y-m-d', strtotime('-40 days')), 'counterPerformanceRendered' => true,
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


@pytest.mark.skipif(PHP is None or subprocess.run([PHP or "php", "-m"], capture_output=True,
                                                  text=True).stdout.find("soap") < 0,
                    reason="php with the soap extension is not installed")
def test_php_soapclient_wsdl_mode(facade, tmp_path):
    script = tmp_path / "client.php"
    script.write_text("<?php\n" + SCRIPT)
    done = subprocess.run([PHP, str(script), facade.endpoint + "?wsdl", PASSWORDS["shop-a"]],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr + done.stdout
    result = json.loads(done.stdout)
    assert result == {"created": True, "status": "RECEIVED", "principal": "99.95",
                      "company": "Bäckerei Weiß", "state": "RECEIVED",
                      "fault": "soap11env:Client.NotFound"}
