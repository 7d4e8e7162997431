"""SigV4 checks: a request must be signed for the `wickr` service, and with a known key, signed correctly.

The signature is recomputed with botocore's own signer from what arrived on the wire (method, raw path and
query, the signed headers, the body), so the emulator accepts exactly what boto3 sends and nothing it would not.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime
from email.message import Message

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from wickr_emulator.model import SERVICE_NAME

_ALGORITHM = "AWS4-HMAC-SHA256"
_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


class AuthError(Exception):
    """The request is not correctly signed; the message says why (and is sent to the caller)."""


def _parse_authorization(header: str) -> dict[str, str]:
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != _ALGORITHM:
        raise AuthError(f"Authorization header must use {_ALGORITHM}")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            fields[name] = value
    missing = {"Credential", "SignedHeaders", "Signature"} - fields.keys()
    if missing:
        raise AuthError(f"Authorization header lacks {', '.join(sorted(missing))}")
    return fields


def _check_date(amz_date: str | None, scope_date: str) -> str:
    if amz_date is None:
        raise AuthError("X-Amz-Date header is missing")
    try:
        datetime.strptime(amz_date, _AMZ_DATE_FORMAT)  # the format itself ends in a literal Z (UTC)
    except ValueError:
        raise AuthError(f"X-Amz-Date {amz_date!r} is not in the format {_AMZ_DATE_FORMAT}") from None
    if amz_date[:8] != scope_date:
        raise AuthError("Credential scope date does not match X-Amz-Date")
    return amz_date


def verify(
    method: str,
    raw_target: str,
    headers: Message,
    body: bytes,
    credentials: Mapping[str, str],
    *,
    accept_any_key: bool = False,
) -> str:
    """Check a request's SigV4 signature.

    Args:
        method: The HTTP method.
        raw_target: The request target exactly as received (path and query, still percent-encoded).
        headers: The received headers.
        body: The received body.
        credentials: Access key id -> secret access key; a request signed with one of these keys is verified.
        accept_any_key: Accept (without verifying the signature) a well-formed request signed with an unknown key.

    Returns:
        The access key id that signed the request.

    Raises:
        AuthError: When the request is unsigned, signed for another service, or signed wrongly.
    """
    authorization = headers.get("Authorization")
    if not authorization:
        raise AuthError("Missing Authentication Token")
    fields = _parse_authorization(authorization)
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):  # key/date/region/service/term
        raise AuthError("Credential must be <key>/<date>/<region>/<service>/aws4_request")
    access_key, scope_date, region, service, _ = scope
    if service != SERVICE_NAME:
        raise AuthError(f"Credential should be scoped to correct service: '{SERVICE_NAME}'")
    amz_date = _check_date(headers.get("X-Amz-Date"), scope_date)
    signature = fields["Signature"]
    if _SIGNATURE.fullmatch(signature) is None:
        raise AuthError("Signature must be 64 lowercase hex digits")
    secret = credentials.get(access_key)
    if secret is None:
        if accept_any_key:
            return access_key
        raise AuthError("The security token included in the request is invalid")

    signed_names = fields["SignedHeaders"].split(";")
    if "host" not in signed_names:
        raise AuthError("SignedHeaders must include host")
    request = AWSRequest(method=method, url=f"http://emulator{raw_target}", data=body)
    for name in signed_names:
        values = headers.get_all(name)
        if not values:
            raise AuthError(f"Signed header {name} is missing from the request")
        for value in values:
            request.headers[name] = value  # HTTPHeaders appends, so repeated headers keep every value
    content_sha = headers.get("X-Amz-Content-SHA256")
    if content_sha not in (None, _UNSIGNED_PAYLOAD) and content_sha != hashlib.sha256(body).hexdigest():
        raise AuthError("X-Amz-Content-SHA256 does not match the body")
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(access_key, secret), SERVICE_NAME, region)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, signature):
        raise AuthError(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method."
        )
    return access_key
