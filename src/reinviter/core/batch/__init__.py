"""One batch's run through the ledger and Wickr: the decisions, the take-overs of stale claims, the rechecks."""

from reinviter.core.batch.run import BatchRun

__all__ = ["BatchRun"]
