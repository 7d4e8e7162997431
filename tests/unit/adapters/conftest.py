"""Fixtures of the gateway's unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.adapters.test_wickr_gateway import Harness


@pytest.fixture
def wickr() -> Iterator[Harness]:
    """The gateway over a botocore Stubber (a unit test of request shapes and error translation, not a peer)."""
    harness = Harness()
    with harness.stubber:
        yield harness
        harness.stubber.assert_no_pending_responses()
