"""The PostgreSQL statement of a plain new claim stays inside what psycopg caches: above
its limits every submit re-parses the whole SQL text (about 0.1 ms of CPU each)."""
from __future__ import annotations

from psycopg import _queries
from sqlalchemy.dialects import postgresql

from gateway.store import repositories


def test_psycopg_caches_the_conversion_of_the_received_claim_statement():
    compiled = repositories._INSERT_RECEIVED_CLAIM.compile(dialect=postgresql.psycopg.dialect())
    assert len(compiled.params) <= _queries.MAX_CACHED_STATEMENT_PARAMS
    assert len(str(compiled).encode()) <= _queries.MAX_CACHED_STATEMENT_LENGTH
