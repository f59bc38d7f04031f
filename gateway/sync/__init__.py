"""The nightly status sync: the gateway's picture of every claim matches the agency's.

Two modes, both driven by `gateway sync` (gateway/cli/sync.py):

changes (default)  each agency account's changes feed (once, however many shops share
                   the account): fetch a batch, store every change in ONE database
                   transaction, THEN commit the agency transaction. A crash between the
                   two redelivers the batch; each change is keyed and recorded
                   (applied_agency_changes), so applying it again is a no-op; a change
                   for an unknown file number is kept (unmatched_agency_changes).
                   Accounts of an agency without a feed are polled claim by claim.
full               reconcile every open claim with a file number: status and, where
                   money can have moved, the accounting summary; bounded concurrency,
                   a rate limit, keyset paging and a checkpoint to resume after a crash.

Agency calls go through the AgencyPort only, so another agency needs no change here.
"""
from .calls import AgencyCalls, RateLimiter
from .changes import change_key, sync_changes
from .accounts import AccountAccess, accounts_to_sync
from .full import FULL_CHECKPOINT, POLL_CHECKPOINT, sync_full
from .report import SyncAborted, SyncReport
from .run import run_sync

__all__ = ["AgencyCalls", "RateLimiter", "change_key", "sync_changes", "FULL_CHECKPOINT",
           "POLL_CHECKPOINT", "sync_full", "SyncAborted", "SyncReport", "AccountAccess",
           "accounts_to_sync", "run_sync"]
