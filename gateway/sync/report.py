"""What a sync run did: counts, failures by shop + shop claim id (never debtor data), JSON."""
from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from gateway.logs import scrub_text

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
# Failures are named in the report; past this many only the count grows (memory stays bounded).
MAX_LISTED_FAILURES = 1000


class SyncAborted(Exception):
    """The run cannot go on (agency unreachable, database down); str() is the operator's line."""


@dataclass(frozen=True)
class Failure:
    shop_id: str
    shop_claim_id: str | None
    reason: str


class SyncReport:
    """Thread-safe tally of one run. `progress` (if set) is called once per claim checked."""

    def __init__(self, mode: str, correlation_id: str, started_at: datetime | None = None):
        self.mode = mode
        self.correlation_id = correlation_id
        self.started_at = started_at or datetime.now(timezone.utc)
        self._t0 = time.monotonic()
        self.duration_s: float | None = None
        self._lock = threading.Lock()
        self.checked = 0
        self.unchanged = 0
        self.changed: Counter[str] = Counter()
        self.failed = 0
        self.failures: list[Failure] = []
        self.config_errors: dict[str, str] = {}
        self.unreachable: dict[str, str] = {}  # account label -> why its agency is left out
        self.unknown_file_numbers = 0
        self.already_applied = 0
        self.batches = 0
        self.resumed_after_id: int | None = None
        self.aborted: str | None = None
        self.agency_calls = 0
        self.progress: Callable[[int], None] | None = None

    # -- tallies (any thread) -----------------------------------------------------
    def claim_checked(self, state_after: str | None) -> None:
        """state_after: the new state when the claim's state changed, else None."""
        with self._lock:
            self.checked += 1
            if state_after is None:
                self.unchanged += 1
            else:
                self.changed[state_after] += 1
        if self.progress is not None:
            self.progress(1)

    def claim_failed(self, shop_id: str, shop_claim_id: str | None, reason: str) -> None:
        with self._lock:
            self.checked += 1
            self.failed += 1
            if len(self.failures) < MAX_LISTED_FAILURES:
                self.failures.append(Failure(shop_id, shop_claim_id, scrub_text(reason)[:300]))
        if self.progress is not None:
            self.progress(1)

    def config_error(self, shop_id: str, reason: str) -> None:
        with self._lock:
            self.config_errors.setdefault(shop_id, scrub_text(reason))

    def account_unreachable(self, label: str, reason: str) -> None:
        """An account's agency stopped answering: the run goes on with the other accounts."""
        with self._lock:
            self.unreachable.setdefault(label, scrub_text(reason))

    def unknown_file_number(self) -> None:
        with self._lock:
            self.unknown_file_numbers += 1

    def change_already_applied(self) -> None:
        with self._lock:
            self.already_applied += 1

    def batch_committed(self) -> None:
        with self._lock:
            self.batches += 1

    def finish(self, agency_calls: int = 0) -> None:
        self.duration_s = round(time.monotonic() - self._t0, 3)
        self.agency_calls = agency_calls

    # -- outcome -------------------------------------------------------------------
    @property
    def exit_code(self) -> int:
        if self.aborted or self.config_errors or self.unreachable:
            return EXIT_CONFIG
        return EXIT_FAILED if self.failed else EXIT_OK

    def as_dict(self) -> dict[str, Any]:
        duration = self.duration_s if self.duration_s is not None else \
            round(time.monotonic() - self._t0, 3)
        with self._lock:
            return {
                "mode": self.mode,
                "correlation_id": self.correlation_id,
                "started_at": self.started_at.isoformat(),
                "duration_s": duration,
                "claims_checked": self.checked,
                "unchanged": self.unchanged,
                "changed_by_state": dict(sorted(self.changed.items())),
                "changed": sum(self.changed.values()),
                "failed": self.failed,
                "failures": [f.__dict__ for f in self.failures],
                "failures_not_listed": self.failed - len(self.failures),
                "config_errors": [{"shop_id": s, "reason": r}
                                  for s, r in sorted(self.config_errors.items())],
                "unreachable_accounts": [{"account": a, "reason": r}
                                         for a, r in sorted(self.unreachable.items())],
                "unknown_file_numbers": self.unknown_file_numbers,
                "changes_already_applied": self.already_applied,
                "batches_committed": self.batches,
                "resumed_after_claim_id": self.resumed_after_id,
                "agency_calls": self.agency_calls,
                "aborted": self.aborted,
                "exit_code": self.exit_code,
            }

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.as_dict(), indent=2) + "\n", encoding="utf-8")

    def summary_lines(self) -> list[str]:
        d = self.as_dict()
        rate = d["claims_checked"] / d["duration_s"] if d["duration_s"] else 0.0
        lines = [f"sync ({d['mode']}) {d['correlation_id']}: {d['claims_checked']} claim(s) "
                 f"checked in {d['duration_s']:.1f} s ({rate:.1f}/s), {d['changed']} changed, "
                 f"{d['unchanged']} unchanged, {d['failed']} failed"]
        for state, n in d["changed_by_state"].items():
            lines.append(f"  -> {state}: {n}")
        if d["resumed_after_claim_id"]:
            lines.append(f"  resumed after claim id {d['resumed_after_claim_id']}")
        if self.mode == "changes":
            lines.append(f"  batches committed: {d['batches_committed']}, changes already "
                         f"applied: {d['changes_already_applied']}, unknown file numbers: "
                         f"{d['unknown_file_numbers']}")
        for f in d["failures"]:
            lines.append(f"  failed: {f['shop_id']} / {f['shop_claim_id'] or '-'}: {f['reason']}")
        if d["failures_not_listed"]:
            lines.append(f"  ... and {d['failures_not_listed']} more failure(s)")
        for e in d["config_errors"]:
            lines.append(f"  configuration error for {_labelled(e['shop_id'])}: {e['reason']}")
        for u in d["unreachable_accounts"]:
            lines.append(f"  agency unreachable for {u['account']}, left for the next run: "
                         f"{u['reason']}")
        if d["aborted"]:
            lines.append(f"  aborted: {d['aborted']}")
        return lines


def _labelled(key: str) -> str:
    """Config errors are keyed by shop id or by "account NAME"."""
    return key if key.startswith("account ") else f"shop {key}"
