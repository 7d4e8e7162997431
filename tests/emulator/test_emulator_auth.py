"""Every request must be SigV4-signed for `wickr`; with a known key the signature itself is checked."""

import json
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from wickr_emulator import WickrEmulator

NETWORK = "12345678"


def test_unsigned_request_is_401(demo: WickrEmulator):
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{demo.url}/networks/{NETWORK}/users/1001", timeout=10)  # noqa: S310
    error = caught.value
    assert error.code == 401
    assert error.headers["x-amzn-ErrorType"] == "UnauthorizedError"
    assert json.loads(error.read())["message"] == "Missing Authentication Token"
    assert [(entry.operation, entry.status) for entry in demo.journal] == [("GetUser", 401)]


def test_wrong_secret_is_401(demo: WickrEmulator, make_client):
    client = make_client(secret="not-the-secret")
    with pytest.raises(client.exceptions.UnauthorizedError) as caught:
        client.get_user(networkId=NETWORK, userId="1001")
    assert caught.value.response["Error"]["Code"] == "UnauthorizedError"
    assert "signature" in caught.value.response["Error"]["Message"]


def test_unknown_access_key_is_401(demo: WickrEmulator, make_client):
    client = make_client(key="AKIAUNKNOWN", secret="whatever")
    with pytest.raises(ClientError) as caught:
        client.get_user(networkId=NETWORK, userId="1001")
    assert caught.value.response["Error"]["Code"] == "UnauthorizedError"


def test_accept_any_key_lets_unknown_keys_in(monkeypatch: pytest.MonkeyPatch):
    with WickrEmulator(accept_any_key=True) as emulator:
        emulator.load_seed({"networks": {NETWORK: {"users": [{"userId": "1001"}]}}})
        monkeypatch.setenv("AWS_ENDPOINT_URL_WICKR", emulator.url)
        client = boto3.client(
            "wickr", region_name="eu-west-1", aws_access_key_id="AKIAANY", aws_secret_access_key="anything"
        )
        assert client.get_user(networkId=NETWORK, userId="1001")["userId"] == "1001"


def test_known_key_is_still_verified_with_accept_any_key(monkeypatch: pytest.MonkeyPatch):
    with WickrEmulator(accept_any_key=True) as emulator:
        emulator.add_network(NETWORK)
        monkeypatch.setenv("AWS_ENDPOINT_URL_WICKR", emulator.url)
        client = boto3.client(
            "wickr", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="wrong"
        )
        with pytest.raises(client.exceptions.UnauthorizedError):
            client.list_users(networkId=NETWORK)


def test_request_signed_for_another_service_is_401(demo: WickrEmulator, raw):
    response = raw("GET", f"/networks/{NETWORK}/users/1001", service="s3")
    assert response.status == 401
    assert response.headers["x-amzn-ErrorType"] == "UnauthorizedError"
    assert "wickr" in response.json["message"]


def test_correctly_signed_raw_request_passes(demo: WickrEmulator, raw):
    assert raw("GET", f"/networks/{NETWORK}/users?status=1&maxResults=2").status == 200


def test_signature_covers_the_query_string(demo: WickrEmulator, raw):
    path = f"/networks/{NETWORK}/users?status=1"
    assert raw("GET", path).status == 200
    assert raw("GET", path, sent_path=f"/networks/{NETWORK}/users?status=2").status == 401


def test_signature_covers_the_patch_body(demo: WickrEmulator, raw):
    path = f"/networks/{NETWORK}/users/re-invite"
    signed_body = json.dumps({"userIds": ["1002"]}).encode()
    response = raw("PATCH", path, signed_body, sent_body=json.dumps({"userIds": ["1005"]}).encode())
    assert response.status == 401
    assert demo.invites_sent(NETWORK, "1005") == 0
    assert raw("PATCH", path, signed_body).status == 200
    assert demo.invites_sent(NETWORK, "1002") == 1
