"""The log line seam of the pure core: Powertools' Logger, imported on the first line logged, not at import.

Powertools imports botocore when it is imported; everything under core/ and orchestration/ logs
through this seam, so importing them pulls in no AWS SDK and their unit tests need none.
"""

from __future__ import annotations

from typing import Any


class _Logger:
    """Forwards to `telemetry.logger.logger` (the one configured Logger), resolved at the first call."""

    def __getattr__(self, name: str) -> Any:
        from reinviter.telemetry.logger import logger as powertools_logger  # noqa: PLC0415 - deferred on purpose

        return getattr(powertools_logger, name)


logger: Any = _Logger()
