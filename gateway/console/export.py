"""CSV exports as German spreadsheet programs open them: UTF-8 with a byte order mark,
semicolons, amounts with a decimal comma, dates as YYYY-MM-DD; streamed in batches.

Text that a spreadsheet would take for a formula (=, +, -, @ at its start: a debtor's or a
shop's text is not ours to trust) gets a leading apostrophe, so opening the file runs
nothing (CSV injection).
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, Iterator, Sequence

from flask import Response

from .formatting import BERLIN

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A phone number or a signed number is no formula, whatever it starts with.
_PLAIN = re.compile(r"^[+-]?[0-9][0-9 ()/.-]*$")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, datetime):
        return value.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) and not _PLAIN.match(text) else text


def lines(header: Sequence[str], batches: Iterable[Iterable[Sequence[Any]]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    yield "\ufeff" + buffer.getvalue()
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([cell(v) for v in row] for row in batch)
        yield buffer.getvalue()


def response(filename: str, header: Sequence[str],
             batches: Iterable[Iterable[Sequence[Any]]]) -> Response:
    return Response(lines(header, batches), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Content-Type": "text/csv; charset=utf-8"})
