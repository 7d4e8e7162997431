"""The bytes on the wire: error encoding, framing, keep-alive, single-send replies, output member names."""

import http.client
import json
import socket

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from wickr_emulator import WickrEmulator, model

NETWORK = "12345678"


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (400, "BadRequestError"),
        (401, "UnauthorizedError"),
        (403, "ForbiddenError"),
        (404, "ResourceNotFoundError"),
        (422, "ValidationError"),
        (429, "RateLimitError"),
        (500, "InternalServerError"),
    ],
)
def test_each_error_status_maps_to_its_modelled_exception(demo: WickrEmulator, wickr, raw, status, name):
    demo.faults.fail_next(status)
    response = raw("GET", f"/networks/{NETWORK}/users/1001")
    assert response.status == status
    assert response.headers["x-amzn-ErrorType"] == name
    assert response.headers["Content-Type"] == "application/json"
    assert int(response.headers["Content-Length"]) == len(response.raw)
    assert isinstance(response.json["message"], str)
    demo.faults.fail_next(status)
    with pytest.raises(getattr(wickr.exceptions, name)) as caught:
        wickr.get_user(networkId=NETWORK, userId="1001")
    assert caught.value.response["Error"]["Code"] == name


def test_validation_error_body_carries_reasons(demo: WickrEmulator, raw):
    body = json.dumps({"userIds": ["x"]}).encode()
    response = raw("PATCH", f"/networks/{NETWORK}/users/re-invite", body)
    assert response.status == 422
    assert set(response.json) == {"message", "reasons"}
    assert set(response.json["reasons"][0]) == {"field", "reason"}


def test_a_body_that_is_not_json_is_a_bad_request(demo: WickrEmulator, raw):
    response = raw("PATCH", f"/networks/{NETWORK}/users/re-invite", b"{not json")
    assert (response.status, response.headers["x-amzn-ErrorType"]) == (400, "BadRequestError")


def test_an_unknown_route_is_resource_not_found(demo: WickrEmulator, raw):
    response = raw("GET", "/no/such/thing")
    assert (response.status, response.headers["x-amzn-ErrorType"]) == (404, "ResourceNotFoundError")
    assert demo.journal[-1].operation == "Unknown"


def test_an_operation_the_emulator_lacks_is_a_bad_request(demo: WickrEmulator, wickr):
    with pytest.raises(wickr.exceptions.BadRequestError) as caught:
        wickr.get_network(networkId=NETWORK)
    assert "GetNetwork" in caught.value.response["Error"]["Message"]


def test_literal_segments_win_over_labels():
    route, labels = model.match_route("GET", f"/networks/{NETWORK}/users/count")
    assert route.operation == "GetUsersCount"
    assert labels == {"networkId": NETWORK}
    assert model.match_route("GET", f"/networks/{NETWORK}/users/1001")[0].operation == "GetUser"
    assert model.match_route("PATCH", f"/networks/{NETWORK}/users/re-invite")[0].operation == "BatchReinviteUser"


def _signed_headers(emulator: WickrEmulator, method: str, path: str, body: bytes = b"") -> dict[str, str]:
    request = AWSRequest(method=method, url=emulator.url + path, data=body)
    SigV4Auth(Credentials("testing", "testing"), "wickr", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def test_connections_are_kept_alive(demo: WickrEmulator):
    connection = http.client.HTTPConnection("127.0.0.1", demo.port, timeout=10)
    try:
        sockets = []
        for user_id in ("1001", "1002"):
            path = f"/networks/{NETWORK}/users/{user_id}"
            connection.request("GET", path, headers=_signed_headers(demo, "GET", path))
            response = connection.getresponse()
            assert json.loads(response.read())["userId"] == user_id
            assert response.headers["Connection"] is None
            sockets.append(connection.sock)
        assert sockets[0] is sockets[1]
    finally:
        connection.close()


def test_each_reply_is_one_send_on_a_nodelay_socket(demo: WickrEmulator, wickr, monkeypatch: pytest.MonkeyPatch):
    sends: list[tuple[bytes, int]] = []
    original = socket.socket.sendall

    def spy(sock: socket.socket, data, *args):
        if sock.getsockname()[1] == demo.port:  # the server's end of a connection
            sends.append((bytes(data), sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)))
        return original(sock, data, *args)

    monkeypatch.setattr(socket.socket, "sendall", spy)
    wickr.get_user(networkId=NETWORK, userId="1001")
    wickr.list_users(networkId=NETWORK)
    assert len(sends) == 2
    for data, nodelay in sends:
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK")
        assert f"Content-Length: {len(body)}".encode() in head
        assert json.loads(body)
        assert nodelay


def test_outputs_use_only_modelled_member_names(demo: WickrEmulator, raw):
    get_user = raw("GET", f"/networks/{NETWORK}/users/1001").json
    assert set(get_user) == model.output_members("GetUser")
    listing = raw("GET", f"/networks/{NETWORK}/users?maxResults=2").json
    assert set(listing) <= model.output_members("ListUsers")
    assert set(listing["users"][0]) <= model.shape_members("User")
    assert "isInviteExpired" in listing["users"][0]
    body = json.dumps({"userIds": ["1001", "1003"]}).encode()
    reinvite = raw("PATCH", f"/networks/{NETWORK}/users/re-invite", body).json
    assert set(reinvite) == model.output_members("BatchReinviteUser")
    assert set(reinvite["successful"][0]) == model.shape_members("BatchUserSuccessResponseItem")
    assert set(reinvite["failed"][0]) == model.shape_members("BatchUserErrorResponseItem")
    body = json.dumps({"users": [{"username": "z@example.com", "securityGroupIds": []}]}).encode()
    created = raw("POST", f"/networks/{NETWORK}/users", body).json
    assert set(created) == model.output_members("BatchCreateUser")
    assert set(created["successful"][0]) <= model.shape_members("User")


def test_stop_closes_idle_keep_alive_connections():
    emulator = WickrEmulator().start()
    emulator.add_network(NETWORK)
    connection = socket.create_connection(("127.0.0.1", emulator.port), timeout=10)
    try:
        path = f"/networks/{NETWORK}/users"
        headers = "".join(f"{name}: {value}\r\n" for name, value in _signed_headers(emulator, "GET", path).items())
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{emulator.port}\r\n{headers}\r\n".encode())
        assert connection.recv(65536).startswith(b"HTTP/1.1 200")
        emulator.stop()
        assert connection.recv(65536) == b""  # the server closed its end
    finally:
        connection.close()
