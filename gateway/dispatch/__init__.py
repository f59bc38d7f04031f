"""The outbox dispatcher: delivers outbox rows to the agency, at least once, in claim order.

worker.py   the loop (lease, commit, call, record) and start_in_process()
delivery.py one row -> one agency call -> an Outcome (no transaction open)
record.py   Outcome -> outbox row + claim change in one transaction; the retry policy
metrics.py  outbox counts and the age of the oldest pending row
"""
from .metrics import outbox_metrics, register_outbox_metrics
from .record import RetryPolicy
from .worker import Dispatcher, InProcessWorker, start_in_process

__all__ = ["Dispatcher", "InProcessWorker", "RetryPolicy", "outbox_metrics",
           "register_outbox_metrics", "start_in_process"]
