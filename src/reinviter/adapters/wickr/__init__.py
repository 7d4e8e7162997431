"""The Wickr Admin API adapter: the gateway, the reading of its answers, and the client-side pacing."""

from reinviter.adapters.wickr.calls import CallCounter
from reinviter.adapters.wickr.gateway import WickrGateway, wickr_client
from reinviter.adapters.wickr.pacing import RequestPacer

__all__ = ["CallCounter", "RequestPacer", "WickrGateway", "wickr_client"]
