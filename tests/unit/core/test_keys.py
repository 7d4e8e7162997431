"""Two subkeys from the stack's one key, and inputs that cannot be read two ways."""

from __future__ import annotations

import hashlib
import hmac

from reinviter.core.keys import SEAL_LABEL, USERNAME_LABEL, fields, mac, subkey
from reinviter.core.model import HashKey
from reinviter.core.seal import listing_mac

SECRET = b"k" * 64


def test_subkey_is_rfc_5869_hkdf_sha256():
    """RFC 5869, test case 3 (no salt, no info), the first 32 bytes of its OKM."""
    okm = bytes.fromhex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
    assert subkey(b"\x0b" * 22, b"") == okm[:32]


def test_the_seals_and_the_username_cache_never_share_a_key():
    key = HashKey(SECRET, "v1")
    assert len({key.seals, key.usernames, SECRET}) == 3
    assert (key.seals, key.usernames) == (subkey(SECRET, SEAL_LABEL), subkey(SECRET, USERNAME_LABEL))
    assert SEAL_LABEL != USERNAME_LABEL
    # The same fields under each subkey give unrelated digests: a cache digest is never a valid seal.
    assert mac(key.seals, ["12345678", "1001"]) != mac(key.usernames, ["12345678", "1001"])
    assert "k" * 8 not in repr(key)
    assert repr(key.seals) not in repr(key)


def test_a_list_of_ids_cannot_pass_for_another():
    one_seal = HashKey(SECRET, "v1").seals
    assert listing_mac(one_seal, "12345678", 1, ["1", "2"]) != listing_mac(one_seal, "12345678", 1, ["1,2"])
    assert listing_mac(one_seal, "12345678", 1, ["12"]) != listing_mac(one_seal, "12345678", 1, ["1", "2"])
    assert listing_mac(one_seal, "12345678", 12, ["3"]) != listing_mac(one_seal, "12345678", 1, ["23"])
    assert fields(["1", "2"]) == b"\x00\x00\x00\x011\x00\x00\x00\x012"


def test_a_seal_made_the_old_way_no_longer_verifies():
    """v1 sealed with the whole key over comma-joined ids; such a seal simply stops matching (its users get GetUser)."""
    old = b"\n".join([b"wickr-reinviter/listing/v1", b"12345678", b"1", b"1001,1002"])
    old_mac = hmac.new(SECRET, old, hashlib.sha256).hexdigest()
    assert old_mac != listing_mac(HashKey(SECRET, "v1").seals, "12345678", 1, ["1001", "1002"])
