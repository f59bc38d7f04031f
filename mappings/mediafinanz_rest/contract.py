"""Every name of mediafinanz's REST API v2.1 that the adapter and the simulator need.

What the public examples (github.com/mediafinanz/API_public) show is marked SHOWN; the rest
is ASSUMED (see README.md in this folder) and lives only here, in codes.toml and in the
field names of claims.py / results.py, so that the agency's OpenAPI description can
replace it with a change to this folder only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

API_VERSION = "v2.1"  # SHOWN
PRODUCTION_URL = "https://api.mediafinanz.de"  # SHOWN
TEST_URL = "https://test.api.mediafinanz.de"  # SHOWN
# Sandbox credentials (AgencyCredentials.sandbox) are never sent here (ASSUMED: the REST API
# has no sandbox flag; test accounts live on TEST_URL).
PRODUCTION_HOST = "api.mediafinanz.de"

# Credentials travel in these headers on every call (SHOWN).
HEADER_UUID = "uuid"
HEADER_USER = "user"
HEADER_PASSWORD = "password"
# "validate: 1": check the request only, change nothing (ASSUMED dry run; see README.md).
HEADER_VALIDATE = "validate"
JSON = "application/json"


@dataclass(frozen=True)
class Route:
    """One operation: HTTP method and path template ({file_number} is the Aktenzeichen)."""

    operation: str
    method: str
    template: str

    def path(self, file_number: str | None = None) -> str:
        if "{file_number}" in self.template:
            if file_number is None:
                raise ValueError(f"{self.operation} needs a file number")
            return self.template.format(file_number=file_number)
        return self.template

    def pattern(self) -> re.Pattern[str]:
        """The path as a regular expression (the simulator routes with it; the trailing
        slash of the examples is optional there)."""
        body = re.escape(self.template.rstrip("/")).replace(
            re.escape("{file_number}"), "(?P<file_number>[^/]+)")
        return re.compile(f"^{body}/?$")


_CLAIM = f"/{API_VERSION}/collect/claim"
ROUTES: dict[str, Route] = {route.operation: route for route in (
    Route("claim_new", "PUT", f"{_CLAIM}/new/"),  # SHOWN
    Route("claim_status", "GET", f"{_CLAIM}/{{file_number}}/status/"),  # SHOWN
    Route("claim_close", "POST", f"{_CLAIM}/{{file_number}}/close/"),  # SHOWN
    Route("claim_payment", "POST", f"{_CLAIM}/{{file_number}}/payment/"),  # ASSUMED
    Route("claim_lawyer", "POST", f"{_CLAIM}/{{file_number}}/lawyer/"),  # ASSUMED
    Route("claim_accounting", "GET", f"{_CLAIM}/{{file_number}}/accounting/"),  # ASSUMED
    Route("account", "GET", f"/{API_VERSION}/account/"),  # ASSUMED: the credential check
)}
OPERATIONS = tuple(ROUTES)

# The Aktenzeichen: 11 digits, kept as text (SHOWN as a string in the examples).
FILE_NUMBER_DIGITS = 11
FILE_NUMBER = re.compile(r"[0-9]{%d}" % FILE_NUMBER_DIGITS)

# Reason length the agency keeps (ASSUMED: the SOAP interface's 250 characters).
REASON_LIMIT = 250

# HTTP answers (ASSUMED): 400 the request does not fit the OpenAPI description, 422
# business validation, 401/403 credentials, 404 unknown file number, 409 action not
# allowed in the claim's status; every error carries ERRORS_KEY: [message, ...].
STATUS_NOT_VALID = 400
STATUS_UNPROCESSABLE = 422
STATUS_UNAUTHORISED = 401
STATUS_FORBIDDEN = 403
STATUS_NOT_FOUND = 404
STATUS_CONFLICT = 409
ERRORS_KEY = "Errors"
