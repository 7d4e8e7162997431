"""Two keys from the stack's one secret, and an encoding that cannot be read two ways.

The `UsernameHashKey` secret keys two different things: the username cache's digests and the sweep's seals. Each
use gets a subkey of its own, derived with HKDF-SHA256 (RFC 5869) under a label, so a value computed for one can
never stand for the other whatever their inputs look like. The inputs are length-prefixed fields, so no choice of
ids or usernames makes two different inputs encode alike (`["1", "2"]` and `["1,2"]` are different messages).
Changing a label (or the encoding) voids every seal and cache entry made before: seals then cost their GetUser, the
cache its lookups, and nothing is wrong meanwhile.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

SEAL_LABEL = b"wickr-reinviter/listing-seal/v2"
USERNAME_LABEL = b"wickr-reinviter/username-cache/v2"
_NO_SALT = bytes(hashlib.sha256().digest_size)  # RFC 5869: absent salt is HashLen zero bytes


def subkey(secret: bytes, label: bytes) -> bytes:
    """HKDF-SHA256(secret, salt=none, info=label), 32 bytes (one block: a single expand round), for `label`'s use."""
    pseudo_random_key = hmac.new(_NO_SALT, secret, hashlib.sha256).digest()  # extract
    return hmac.new(pseudo_random_key, label + b"\x01", hashlib.sha256).digest()  # expand, one block


def fields(parts: Iterable[str]) -> bytes:
    """Each part as its UTF-8 length (4 bytes, big-endian), then its bytes: one reading only, whatever it holds."""
    encoded = bytearray()
    for part in parts:
        data = part.encode()
        encoded += len(data).to_bytes(4, "big") + data
    return bytes(encoded)


def mac(key: bytes, parts: Iterable[str]) -> str:
    """HMAC-SHA256 of the parts' unambiguous encoding, as hex."""
    return hmac.new(key, fields(parts), hashlib.sha256).hexdigest()
