"""The per-network circuit of one batch: after a network-wide failure, the network is not called again."""

from __future__ import annotations

from reinviter.core.errors import (
    DeadlineReached,
    PermanentWickrError,
    WickrAccessError,
    WickrError,
    WickrNetworkNotFound,
)
from reinviter.core.logs import logger
from reinviter.core.outcomes import Outcomes


class NetworkCircuit:
    """Per network, the failure that stops further calls to it in this batch (an access error, retries spent)."""

    def __init__(self, outcomes: Outcomes) -> None:
        self._outcomes = outcomes
        self._open: dict[str, WickrError] = {}

    def blocked(self, network_id: str) -> WickrError | None:
        """The error that stands for a call not made, if the network's circuit is open."""
        error = self._open.get(network_id)
        if error is None:
            return None
        blocked = type(error)(f"not called: network failed earlier ({error})", code=error.code, status=error.status)
        blocked.maybe_sent = False
        return blocked

    def trip(self, network_id: str, error: WickrError) -> None:
        """Open the network's circuit for a network-wide failure (once, with one log line)."""
        if isinstance(error, DeadlineReached):
            return
        network_wide = isinstance(error, WickrAccessError | WickrNetworkNotFound)
        if isinstance(error, PermanentWickrError) and not network_wide:
            return  # about this request only (400/422): other users of the network may be fine
        if network_id in self._open:
            return
        self._open[network_id] = error
        if isinstance(error, WickrNetworkNotFound):
            # Not "every user not found": the messages fail and reach the DLQ, where an operator sees them.
            self._outcomes.network_not_found(network_id, error)
            return
        log = logger.error if network_wide else logger.warning
        log("network unavailable", network_id=network_id, error=str(error), code=error.code, status=error.status)
