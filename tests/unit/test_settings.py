"""Settings: every variable parsed once; a bad one fails with its own name in the message."""

from __future__ import annotations

import pytest

from reinviter.settings import Settings, SettingsError, environment_variables

BASE = {"WICKR_NETWORK_IDS": "12345678"}


def test_defaults() -> None:
    settings = Settings.from_environ(BASE)

    assert settings.network_ids == ("12345678",)
    assert settings.dry_run is False
    assert settings.max_concurrency == 16
    assert settings.retry_attempts == 5
    assert settings.deadline_margin_ms == 3_000
    assert settings.max_requests_per_second == 0.0


def test_network_ids_are_split_trimmed_and_deduplicated() -> None:
    settings = Settings.from_environ({"WICKR_NETWORK_IDS": " 12345678, 87654321 ,12345678,"})

    assert settings.network_ids == ("12345678", "87654321")
    assert settings.allowed_networks == frozenset({"12345678", "87654321"})


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("TRUE", True), ("1", True), ("false", False)])
def test_dry_run(value: str, expected: bool) -> None:
    assert Settings.from_environ({**BASE, "DRY_RUN": value}).dry_run is expected


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({}, "WICKR_NETWORK_IDS"),
        ({"WICKR_NETWORK_IDS": ""}, "WICKR_NETWORK_IDS"),
        ({"WICKR_NETWORK_IDS": "1234567"}, "WICKR_NETWORK_IDS"),
        ({"WICKR_NETWORK_IDS": "12345678,abcdefgh"}, "WICKR_NETWORK_IDS"),
        ({**BASE, "DRY_RUN": "maybe"}, "DRY_RUN"),
        ({**BASE, "WICKR_MAX_CONCURRENCY": "0"}, "WICKR_MAX_CONCURRENCY"),
        ({**BASE, "WICKR_MAX_CONCURRENCY": "65"}, "WICKR_MAX_CONCURRENCY"),
        ({**BASE, "WICKR_RETRY_ATTEMPTS": "0"}, "WICKR_RETRY_ATTEMPTS"),
        ({**BASE, "WICKR_MAX_REQUESTS_PER_SECOND": "-1"}, "WICKR_MAX_REQUESTS_PER_SECOND"),
        ({**BASE, "DEADLINE_MARGIN_MS": "-1"}, "DEADLINE_MARGIN_MS"),
        ({**BASE, "DEADLINE_MARGIN_MS": "soon"}, "DEADLINE_MARGIN_MS"),
        ({**BASE, "REINVITE_SCHEDULE_HOURS": "24,,72"}, "REINVITE_SCHEDULE_HOURS"),
        ({**BASE, "REINVITE_SCHEDULE_HOURS": "24,-1"}, "REINVITE_SCHEDULE_HOURS"),
        ({**BASE, "REINVITE_SCHEDULE_HOURS": "24,a week"}, "REINVITE_SCHEDULE_HOURS"),
        ({**BASE, "REINVITE_SCHEDULE_HOURS": "nan"}, "REINVITE_SCHEDULE_HOURS"),
    ],
)
def test_invalid_values_name_their_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=rf"^invalid configuration: .*{variable}: "):
        Settings.from_environ(environ)


def test_invalid_network_id_is_named_in_the_message() -> None:
    with pytest.raises(SettingsError, match="1234567"):
        Settings.from_environ({"WICKR_NETWORK_IDS": "12345678,1234567"})


def test_environment_variables_are_the_aliases() -> None:
    names = environment_variables()

    assert {"WICKR_NETWORK_IDS", "DRY_RUN", "WICKR_MAX_CONCURRENCY", "DEADLINE_MARGIN_MS"} <= names
    assert all(name.isupper() for name in names)


def test_the_reminder_schedule_is_the_wait_before_each_next_reinvite_the_last_repeating() -> None:
    policy = Settings.from_environ({**BASE, "REINVITE_SCHEDULE_HOURS": " 24, 72,168 "}).policy

    assert [policy.wait_after(attempts) / 3600 for attempts in (1, 2, 3, 4, 9)] == [24, 72, 168, 168, 168]


def test_no_schedule_keeps_the_cooldown_before_every_reinvite() -> None:
    policy = Settings.from_environ({**BASE, "REINVITE_SCHEDULE_HOURS": "", "REINVITE_COOLDOWN_HOURS": "12"}).policy

    assert policy.schedule_s == ()
    assert [policy.wait_after(attempts) / 3600 for attempts in (1, 2, 5)] == [12, 12, 12]
