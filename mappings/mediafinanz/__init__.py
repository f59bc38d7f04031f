"""The mediafinanz-style agency's mapping: its names, codes and field layout, both directions.

Imports only the domain and the agency port (no zeep, no spyne), so the zeep
adapter builds requests with it and the simulator parses them with it.
"""
from .claims import (CLAIM_TYPES, SALUTATIONS, cut_reason, debtor_arguments, join_street,
                     new_claim_arguments, parse_debtor, parse_new_claim, split_street)
from .court import amounts_argument, parse_amounts
from .codes import (StatusCode, state_for, status_from_answer, status_from_change,
                    status_table, text_for, to_status)
from .contract import (BINDING_QNAME, LAWYER_INSTRUCTIONS, LAWYER_OPERATION, NAMESPACE,
                       OPERATIONS, REASON_LIMIT)
from .results import accounting_summary, claim_options, journal, payouts, status_changes

__all__ = [
    "BINDING_QNAME", "CLAIM_TYPES", "LAWYER_INSTRUCTIONS", "LAWYER_OPERATION", "NAMESPACE",
    "OPERATIONS", "REASON_LIMIT", "SALUTATIONS", "StatusCode", "accounting_summary",
    "amounts_argument", "claim_options", "cut_reason", "debtor_arguments", "join_street", "journal",
    "new_claim_arguments", "parse_debtor", "parse_new_claim", "parse_amounts", "payouts", "split_street",
    "state_for", "status_changes", "status_from_answer", "status_from_change", "status_table",
    "text_for", "to_status",
]
