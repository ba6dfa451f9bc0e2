"""Signed checkpoints and the RFC 6962 Merkle tree of the ledger."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from twin.response.ledger import Ledger
from twin.response.signing import (
    CHECKPOINT_EVERY,
    SigningKeyError,
    check_signatures,
    generate_keypair,
    inclusion_proof,
    leaf_hash,
    load_private_key,
    load_public_key,
    merkle_root,
    sign_ledger,
    verify_inclusion,
)


def _ledger(n: int, *, bump: int | None = None) -> bytes:
    ledger = Ledger()
    for i in range(n):
        score = 0.5 + (0.1 if i == bump else 0.0)
        ledger.append(time_s=float(i), kind="alert", data={"camera": i % 7, "score": score})
    return ledger.to_bytes()


def test_merkle_root_follows_rfc_6962() -> None:
    a, b, c = (leaf_hash(x) for x in (b"a", b"b", b"c"))
    node = lambda left, right: hashlib.sha256(b"\x01" + left + right).digest()  # noqa: E731
    assert merkle_root([]) == hashlib.sha256(b"").digest()
    assert merkle_root([a]) == a == hashlib.sha256(b"\x00a").digest()
    assert merkle_root([a, b, c]) == node(node(a, b), c)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_every_entry_has_an_inclusion_proof_and_no_other_leaf_fits_it(size: int) -> None:
    leaves = [leaf_hash(str(i).encode()) for i in range(size)]
    root = merkle_root(leaves)
    for index in range(size):
        proof = inclusion_proof(leaves, index)
        assert verify_inclusion(leaves[index], index, size, proof, root)
        assert not verify_inclusion(leaf_hash(b"forged"), index, size, proof, root)
        if size > 1:
            assert not verify_inclusion(leaves[index], (index + 1) % size, size, proof, root)


def test_a_signed_ledger_verifies_with_its_key() -> None:
    key = Ed25519PrivateKey.generate()
    data = _ledger(2 * CHECKPOINT_EVERY + 5)
    checkpoints = sign_ledger(data, key)
    assert sign_ledger(data, key) == checkpoints  # Ed25519 is deterministic: runs reproduce
    check = check_signatures(data, checkpoints, key.public_key())
    assert check.ok and check.checkpoints == 3 and check.key_checked


def test_an_edit_with_every_hash_recomputed_fails_the_signature() -> None:
    key = Ed25519PrivateKey.generate()
    checkpoints = sign_ledger(_ledger(40), key)
    forged = _ledger(40, bump=17)  # a consistent chain, every hash and the head recomputed
    check = check_signatures(forged, checkpoints, key.public_key())
    assert check.status == "bad" and "changed after signing" in check.reason


def test_re_signing_with_another_key_is_caught_by_the_overseers_key() -> None:
    operator, forger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    forged = _ledger(40, bump=3)
    check = check_signatures(forged, sign_ledger(forged, forger), operator.public_key())
    assert check.status == "bad" and "another key" in check.reason


@pytest.mark.parametrize(
    "damage",
    ["signature", "entries", "root", "format", "not json", "empty", "deep"],
)
def test_damaged_checkpoints_are_bad_not_a_crash(damage: str) -> None:
    key = Ed25519PrivateKey.generate()
    data = _ledger(10)
    document = json.loads(sign_ledger(data, key))
    point = document["checkpoints"][0]
    if damage == "signature":
        point["signature"] = point["signature"][::-1]
    elif damage == "entries":
        point["entries"] = 9
    elif damage == "root":
        point["merkle_root"] = "0" * 64
    elif damage == "format":
        document["format"] = "other"
    raw = json.dumps(document).encode()
    raw = {"not json": b"{", "empty": b"", "deep": b"[" * 100_000}.get(damage, raw)
    check = check_signatures(data, raw, key.public_key())
    assert check.status == "bad" and "\n" not in check.reason


def test_dropped_or_added_entries_fail() -> None:
    key = Ed25519PrivateKey.generate()
    checkpoints = sign_ledger(_ledger(10), key)
    assert check_signatures(_ledger(9), checkpoints, key.public_key()).status == "bad"
    assert check_signatures(_ledger(11), checkpoints, key.public_key()).status == "bad"


def test_no_checkpoints_is_unsigned() -> None:
    assert check_signatures(_ledger(3), None, None).status == "unsigned"


def test_keygen_writes_a_private_key_only_its_owner_reads(tmp_path: Path) -> None:
    private, public = generate_keypair(tmp_path / "keys")
    assert private.stat().st_mode & 0o077 == 0
    key = load_private_key(private)
    assert load_public_key(public).public_bytes_raw() == key.public_key().public_bytes_raw()
    with pytest.raises(SigningKeyError, match="already there"):
        generate_keypair(tmp_path / "keys")


@pytest.mark.parametrize(
    "content", [b"", b"not a key", b"-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----\n"]
)
def test_bad_key_files_are_one_line_refusals(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "k.pem"
    path.write_bytes(content)
    with pytest.raises(SigningKeyError) as private:
        load_private_key(path)
    with pytest.raises(SigningKeyError) as public:
        load_public_key(path)
    assert "\n" not in private.value.line() and "\n" not in public.value.line()


def test_a_missing_or_huge_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SigningKeyError, match="not a file"):
        load_private_key(tmp_path / "absent")
    huge = tmp_path / "huge"
    huge.write_bytes(b"x" * 100_000)
    with pytest.raises(SigningKeyError, match="too large"):
        load_public_key(huge)
