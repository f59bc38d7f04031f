"""No debtor data reaches a log line in clear, whatever path the log takes."""
from __future__ import annotations

import io
import json
import logging

import pytest

from gateway import logs
from gateway.logs import REDACTED
from tests.factories import person

SECRETS = ["Jürgen", "Müller-Lüdenscheidt", "Große Straße", "80331", "München",
           "j.mueller@example.de", "+49 89 1234567", "1980-02-29"]


@pytest.fixture
def log_stream():
    stream = io.StringIO()
    logs.configure("debug", "json", stream=stream)
    yield stream
    logs.configure("info", "json")


def lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_structlog_keys_with_personal_data_are_redacted(log_stream):
    d = person()
    logs.get_logger("t").info("claim received", first_name=d.first_name, lastName=d.last_name,
                              debtor={"street": d.street, "city": d.city}, email=d.email,
                              phone=d.phone, date_of_birth=str(d.date_of_birth), claim_id=42)
    text = log_stream.getvalue()
    for secret in SECRETS:
        assert secret not in text
    [line] = lines(log_stream)
    assert line["claim_id"] == 42 and line["first_name"] == REDACTED and line["debtor"] == REDACTED


def test_free_text_and_stdlib_records_are_scrubbed(log_stream):
    logging.getLogger("somelib").warning(
        "could not deliver to j.mueller@example.de, call +49 89 1234567; "
        "<ns:lastName>Müller-Lüdenscheidt</ns:lastName><street>Große Straße 12a</street>")
    text = log_stream.getvalue()
    for secret in ("j.mueller@example.de", "+49 89 1234567", "Müller-Lüdenscheidt", "Große Straße"):
        assert secret not in text
    assert REDACTED in text


def test_exceptions_in_logs_are_scrubbed(log_stream):
    try:
        raise ValueError("bad address for j.mueller@example.de")
    except ValueError:
        logs.get_logger("t").exception("failed")
    assert "j.mueller@example.de" not in log_stream.getvalue()


def test_correlation_id_is_on_every_line(log_stream):
    cid = logs.bind_correlation_id(job="test")
    logs.get_logger("a").info("one")
    logging.getLogger("b").warning("two")
    assert [line["correlation_id"] for line in lines(log_stream)] == [cid, cid]
