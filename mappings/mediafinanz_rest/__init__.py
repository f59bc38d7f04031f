"""mediafinanz's REST API v2.1: its paths, JSON names and codes, both directions.

Imports only the domain, the agency port and the SOAP mapping of the same agency (its
status table, reason cutting and street joining); no HTTP library. The adapter
(gateway/agencies/mediafinanz_rest) builds requests with it and the simulator's REST front
(gateway/agencies/simulator/rest_server.py) parses them with it. What is assumed about the
API, and why, is in README.md beside this file.
"""
from . import jsonwire
from .claims import BodyError, debtor_body, new_claim_body, parse_debtor, parse_new_claim
from .codes import Codes, codes, state_for, status_table, text_for, to_status
from .contract import (API_VERSION, FILE_NUMBER, OPERATIONS, PRODUCTION_HOST, PRODUCTION_URL,
                       REASON_LIMIT, ROUTES, TEST_URL, Route)
from .results import (account_answer, accounting_answer, accounting_summary, error_body,
                      error_reasons, file_number_of, file_number_text, lawyer_body,
                      new_claim_answer, parse_lawyer, parse_payment, payment_body,
                      status_answer, status_from_answer)

__all__ = [
    "API_VERSION", "BodyError", "Codes", "FILE_NUMBER", "OPERATIONS", "PRODUCTION_HOST",
    "PRODUCTION_URL", "REASON_LIMIT", "ROUTES", "Route", "TEST_URL", "account_answer",
    "accounting_answer", "accounting_summary", "codes", "debtor_body", "error_body",
    "error_reasons", "file_number_of", "file_number_text", "jsonwire", "lawyer_body",
    "new_claim_answer", "new_claim_body", "parse_debtor", "parse_lawyer", "parse_new_claim",
    "parse_payment", "payment_body", "state_for", "status_answer", "status_from_answer",
    "status_table", "text_for", "to_status",
]
