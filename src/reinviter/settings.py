"""Every environment variable the function reads, parsed once and validated on first invoke."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reinviter.core.model import NETWORK_ID_PATTERN
from reinviter.core.policy import Policy

NETWORK_ID = re.compile(NETWORK_ID_PATTERN, re.ASCII)
QUEUE_ARN = re.compile(r"arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,80}", re.ASCII)


class SettingsError(ValueError):
    """Raised when the function's configuration cannot be used; the message names the variable."""


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseModel):
    """The function's configuration. Field aliases are the environment variable names (the template's contract)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    network_ids: Annotated[tuple[str, ...], Field(alias="WICKR_NETWORK_IDS", min_length=1)]
    dry_run: Annotated[bool, Field(alias="DRY_RUN")] = False
    # Parallel GetUser calls per invocation; the boto3 connection pool is sized to match.
    max_concurrency: Annotated[int, Field(alias="WICKR_MAX_CONCURRENCY", ge=1, le=64)] = 16
    # Attempts per Wickr call on 429/5xx/connection errors (our retries: see adapters/wickr/gateway.py).
    retry_attempts: Annotated[int, Field(alias="WICKR_RETRY_ATTEMPTS", ge=1, le=10)] = 5
    # Client-side pacing: the most Wickr requests per second this invocation sends (0 = unpaced).
    max_requests_per_second: Annotated[float, Field(alias="WICKR_MAX_REQUESTS_PER_SECOND", ge=0)] = 0.0
    # Stop starting work this long before Lambda's deadline, so results can be reported and metrics flushed.
    deadline_margin_ms: Annotated[int, Field(alias="DEADLINE_MARGIN_MS", ge=0, le=60_000)] = 3_000
    # Scheduled sweep and ledger (empty where the deployment does not use them).
    reinvite_queue_url: Annotated[str, Field(alias="REINVITE_QUEUE_URL")] = ""
    # The only queue whose records are requests (each record's eventSourceARN); empty refuses every SQS record.
    reinvite_queue_arn: Annotated[str, Field(alias="REINVITE_QUEUE_ARN")] = ""
    ledger_table: Annotated[str, Field(alias="REINVITE_LEDGER_TABLE")] = ""
    # The event bus outcome events go to (`default`: the account's default bus); empty: no events.
    outcome_event_bus: Annotated[str, Field(alias="OUTCOME_EVENT_BUS", pattern=r"^([A-Za-z0-9._\-/]{1,256})?$")] = ""
    cooldown_hours: Annotated[float, Field(alias="REINVITE_COOLDOWN_HOURS", ge=0)] = 24.0
    max_reinvites: Annotated[int, Field(alias="REINVITE_MAX_ATTEMPTS", ge=1)] = 5
    # The wait before the 2nd, 3rd, ... reinvite, e.g. "24,72,168" (the last repeats); empty: the cooldown each time.
    schedule_hours: Annotated[tuple[float, ...], Field(alias="REINVITE_SCHEDULE_HOURS")] = ()
    sweep_only_expired: Annotated[bool, Field(alias="SWEEP_ONLY_EXPIRED")] = False
    # A swept user whose signed listing is younger than this needs no GetUser (0: every user is checked).
    sweep_freshness_s: Annotated[float, Field(alias="SWEEP_FRESHNESS_SECONDS", ge=0, le=86_400)] = 900.0
    # The username cache (in the ledger table): its HMAC key's secret (ARN or name) and how long a resolution lasts.
    # Without the table or the secret, or with 0 days, every username is looked up with ListUsers.
    username_hash_key_secret: Annotated[str, Field(alias="USERNAME_HASH_KEY_SECRET")] = ""
    username_cache_days: Annotated[float, Field(alias="USERNAME_CACHE_DAYS", ge=0, le=365)] = 30.0
    # Read by Powertools itself; listed here so the template and this model describe the same variables.
    service_name: Annotated[str, Field(alias="POWERTOOLS_SERVICE_NAME")] = "wickr-reinviter"
    metrics_namespace: Annotated[str, Field(alias="POWERTOOLS_METRICS_NAMESPACE")] = "WickrReinviter"
    log_level: Annotated[str, Field(alias="POWERTOOLS_LOG_LEVEL")] = "INFO"

    @field_validator("network_ids", mode="before")
    @classmethod
    def _parse_network_ids(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("schedule_hours", mode="before")
    @classmethod
    def _parse_schedule(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip() and any(not part.strip() for part in value.split(",")):
            raise ValueError("an empty entry: hours separated by commas, e.g. 24,72,168")
        return _split_csv(value)

    @field_validator("schedule_hours")
    @classmethod
    def _check_schedule(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not math.isfinite(hours) or hours < 0 for hours in value):
            raise ValueError("every wait must be a finite number of hours, 0 or more")
        return value

    @field_validator("network_ids")
    @classmethod
    def _check_network_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [network_id for network_id in value if not NETWORK_ID.fullmatch(network_id)]
        if bad:
            raise ValueError(f"network ids must be 8 digits, got {bad}")
        return tuple(dict.fromkeys(value))

    @field_validator("reinvite_queue_arn")
    @classmethod
    def _check_queue_arn(cls, value: str) -> str:
        if value and not QUEUE_ARN.fullmatch(value):
            raise ValueError("must be an SQS queue ARN (arn:<partition>:sqs:<region>:<account>:<name>)")
        return value

    @field_validator(
        "reinvite_queue_url",
        "reinvite_queue_arn",
        "ledger_table",
        "username_hash_key_secret",
        "outcome_event_bus",
        mode="before",
    )
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @property
    def allowed_networks(self) -> frozenset[str]:
        """The allowlist as a set, for membership checks."""
        return frozenset(self.network_ids)

    @property
    def cooldown_seconds(self) -> float:
        """The cooldown window in seconds (0 disables it)."""
        return self.cooldown_hours * 3600.0

    @property
    def policy(self) -> Policy:
        """The ledger's rules."""
        schedule = tuple(hours * 3600.0 for hours in self.schedule_hours)
        return Policy(cooldown_s=self.cooldown_seconds, max_attempts=self.max_reinvites, schedule_s=schedule)

    @property
    def username_cache(self) -> bool:
        """Whether resolutions are remembered: it takes the table, the key's secret and a lifetime."""
        return bool(self.ledger_table and self.username_hash_key_secret and self.username_cache_days > 0)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Parse settings from an environment mapping, turning pydantic's report into one readable error."""
        try:
            return cls.model_validate(dict(environ))
        except ValidationError as error:
            problems = "; ".join(
                f"{_alias_of(str(err['loc'][0]))}: {err['msg']}" if err["loc"] else err["msg"] for err in error.errors()
            )
            raise SettingsError(f"invalid configuration: {problems}") from error


def _alias_of(name: str) -> str:
    field = Settings.model_fields.get(name)
    return field.alias if field is not None and field.alias else name


def environment_variables() -> frozenset[str]:
    """The names of every environment variable the settings model reads (the template test compares them)."""
    return frozenset(field.alias for field in Settings.model_fields.values() if field.alias)


@cache
def get_settings() -> Settings:
    """Settings of this container, read on first use so a bad variable fails the invocation, not the import."""
    return Settings.from_environ(os.environ)
