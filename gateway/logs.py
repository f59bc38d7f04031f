"""structlog set-up: JSON lines off a terminal, readable lines on one, debtor data redacted.

Redaction works on two levels: keys that hold personal data (names, address,
contacts, date of birth, secrets) are replaced wholesale, and free text is
scrubbed of e-mail addresses, phone numbers and the XML elements that carry
personal data. stdlib logging (zeep, waitress, ...) is routed through the
same processors, so their records are scrubbed too. A library whose records quote
whole requests can be contained instead (contain(): the shop facade does so with
spyne's): its lines are then withheld, not scrubbed.
"""
from __future__ import annotations

import logging
import re
import sys
import uuid
from typing import Any, Callable

import structlog

REDACTED = "[redacted]"

# Keys (case-insensitive, camelCase and snake_case) that hold debtor data.
PERSONAL_KEYS = frozenset(
    k.lower()
    for k in (
        "debtor", "first_name", "firstName", "firstname", "last_name", "lastName", "lastname",
        "name", "company", "care_of", "careOf", "co", "street", "house_number", "houseNumber",
        "postcode", "zip", "city", "address", "email", "phone", "mobile", "telephone1",
        "telephone2", "fax", "date_of_birth", "dateOfBirth", "birth", "legal_form", "legalForm",
        "customer_id", "customerId", "password", "client_key", "clientKey", "licenceKey",
        "licence_key", "application_key", "authorization", "envelope", "body", "payload_xml",
    )
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w.])\+?\d[\d ()/-]{6,}\d(?![\w.])")
# XML elements that carry personal data in any SOAP body a library might log.
_XML_PERSONAL = re.compile(
    r"<(?P<tag>(?:\w+:)?(?:firstName|lastName|firstname|lastname|company|careOf|co|street|"
    r"houseNumber|postcode|city|email|phone|mobile|telephone1|telephone2|fax|dateOfBirth|"
    r"licenceKey|Password|Nonce))\b[^>]*>.*?</(?P=tag)>",
    re.DOTALL,
)


def scrub_text(text: str) -> str:
    text = _XML_PERSONAL.sub(lambda m: f"<{m.group('tag')}>{REDACTED}</{m.group('tag')}>", text)
    text = _EMAIL.sub(REDACTED, text)
    text = _PHONE.sub(REDACTED, text)
    return text


def _scrub(value: Any, depth: int = 0) -> Any:
    if depth > 6:
        return REDACTED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: (REDACTED if str(k).lower() in PERSONAL_KEYS else _scrub(v, depth + 1))
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v, depth + 1) for v in value]
    return value


def redact_personal_data(_logger: Any, _method: str, event_dict: dict) -> dict:
    """structlog processor: no debtor data reaches a log line in clear."""
    for key in list(event_dict):
        if key.lower() in PERSONAL_KEYS:
            event_dict[key] = REDACTED
        elif key == "timestamp":
            continue
        else:
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


def _stringify_exc(_logger: Any, _method: str, event_dict: dict) -> dict:
    # Tracebacks may quote locals or request bodies: scrub them like any text.
    exc = event_dict.get("exception")
    if isinstance(exc, str):
        event_dict["exception"] = scrub_text(exc)
    return event_dict


def configure(level: str = "info", fmt: str = "auto", stream: Any = None) -> None:
    stream = stream or sys.stderr
    use_json = fmt == "json" or (fmt == "auto" and not _isatty(stream))
    shared: list = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_personal_data,
    ]
    renderer = (structlog.processors.JSONRenderer() if use_json
                else structlog.dev.ConsoleRenderer(colors=_isatty(stream)))
    structlog.configure(
        # filter_by_level first: a line below the level costs nothing further (no time
        # stamp, no redaction regexes), which matters on every SOAP request.
        processors=[structlog.stdlib.filter_by_level] + shared
        + [structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _stringify_exc,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # These libraries log whole envelopes (secrets, debtor data) below WARNING,
    # and spyne logs an invalid request in full at ERROR: keep them quiet.
    for name in ("zeep", "zeep.transports", "zeep.wsdl", "zeep.xsd", "urllib3", "spyne",
                 "spyne.protocol", "spyne.server", "spyne.server.wsgi", "spyne.application"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("spyne.protocol.xml", "spyne.protocol.soap", "spyne.application.server"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    logging.getLogger("waitress").setLevel(logging.WARNING)
    # Alembic narrates every connection at INFO; `gateway db upgrade` says what it did itself.
    logging.getLogger("alembic").setLevel(logging.WARNING)


class _Contained(logging.Handler):
    """Takes every record of a library's loggers in place of the root handlers: drops
    what the library logs below WARNING and what `owned` says the caller logs itself, and
    writes the rest as one line that names the library's logger, the level and the
    exception type, never the record's text (it may quote a request)."""

    def __init__(self, owned: Callable[[logging.LogRecord], bool]):
        super().__init__(logging.WARNING)
        self.owned = owned

    def emit(self, record: logging.LogRecord) -> None:
        if self.owned(record):
            return
        exc = record.exc_info[1] if record.exc_info else None
        get_logger("gateway.library").log(
            record.levelno, "library log line withheld (it may quote a request)",
            library_logger=record.name, error=type(exc).__name__ if exc else None)


def contain(name: str, owned: Callable[[logging.LogRecord], bool]) -> None:
    """Route the records of logger `name` and its children to a _Contained handler only.

    Independent of when logging is configured and of import order: the handler sits on
    the library's logger, which no longer propagates to the root handlers. Idempotent.
    """
    logger = logging.getLogger(name)
    logger.handlers[:] = [h for h in logger.handlers if not isinstance(h, _Contained)]
    logger.addHandler(_Contained(owned))
    logger.propagate = False
    if logger.level < logging.WARNING:
        logger.setLevel(logging.WARNING)  # below it nothing is written: do not build records


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def new_correlation_id() -> str:
    return uuid.uuid4().hex[:16]


def bind_correlation_id(correlation_id: str | None = None, **extra: Any) -> str:
    """Bind a correlation id (and extra keys) to every log line of this request or job."""
    cid = correlation_id or new_correlation_id()
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(correlation_id=cid, **extra)
    return cid


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
