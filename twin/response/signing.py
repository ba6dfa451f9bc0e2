"""Signed checkpoints of the oversight ledger: tamper-evident against someone who can rewrite files.

A hash chain alone is tamper-evident only against a careless editor: whoever can edit the ledger can
recompute every hash and the manifest's head too. So a run started with a signing key also writes
``ledger.checkpoints.json``: for every `CHECKPOINT_EVERY` entries and at the end, the number of
entries, the root of a Merkle tree over them in the manner of RFC 6962 (section 2.1: leaf hash
SHA-256(0x00 || entry), node hash SHA-256(0x01 || left || right)) and the head hash, signed with
Ed25519 (`cryptography`). An overseer holding the public key (``twin audit keygen`` makes the pair;
the public half goes to them, the private half stays with the operator's signing service) checks
that the ledger's entries still give the signed roots: change any entry and the root differs, and
no one without the private key can sign a new one. `inclusion_proof` and `verify_inclusion` show one
entry is in a signed tree without handing over the others (RFC 6962 section 2.1.1).

Ed25519 signatures are deterministic, so a run signed with the same key is byte-for-byte the same.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from twin.errors import TwinInputError

CHECKPOINTS_FILE: Final = "ledger.checkpoints.json"
PRIVATE_KEY_FILE: Final = "ledger-signing.key"
PUBLIC_KEY_FILE: Final = "ledger-signing.pub"
CHECKPOINT_EVERY: Final = 1024  # entries between signed checkpoints
FORMAT: Final = "twin-ledger-checkpoint/1"
MAX_KEY_FILE_BYTES: Final = 16 * 1024


class SigningKeyError(TwinInputError):
    """A key file that is missing, unreadable or not an Ed25519 key of the expected kind."""


# --- Merkle tree (RFC 6962 section 2.1) ----------------------------------------------------------


def leaf_hash(entry_line: bytes) -> bytes:
    """The leaf hash of one ledger line (its canonical JSON, without the newline)."""
    return hashlib.sha256(b"\x00" + entry_line).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def merkle_root(leaves: list[bytes]) -> bytes:
    """MTH over leaf hashes; the hash of the empty string for no leaves."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = list(leaves)
    if len(level) == 1:
        return level[0]
    k = _split(len(level))
    return _node(merkle_root(level[:k]), merkle_root(level[k:]))


def inclusion_proof(leaves: list[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree over ``leaves`` (RFC 6962 PATH)."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"index {index} outside a tree of {len(leaves)} leaves")
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_proof(leaves[:k], index), merkle_root(leaves[k:])]
    return [*inclusion_proof(leaves[k:], index - k), merkle_root(leaves[:k])]


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    """Whether ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree of ``size`` with ``root``."""
    if not 0 <= index < size:
        return False
    path = list(proof)

    def climb(node_index: int, n: int) -> bytes | None:
        if n == 1:
            return leaf
        if not path:
            return None
        k = _split(n)
        sibling = path.pop()
        if node_index < k:
            below = climb(node_index, k)
            return None if below is None else _node(below, sibling)
        below = climb(node_index - k, n - k)
        return None if below is None else _node(sibling, below)

    computed = climb(index, size)
    return computed == root and not path


# --- keys ----------------------------------------------------------------------------------------


def generate_keypair(out: Path) -> tuple[Path, Path]:
    """Write a new Ed25519 pair to ``out`` (private key mode 0600); refuse to overwrite one."""
    out = Path(out)
    private_path, public_path = out / PRIVATE_KEY_FILE, out / PUBLIC_KEY_FILE
    if private_path.exists() or public_path.exists():
        raise SigningKeyError("a key pair is already there; choose another --out", source=out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_pem)
        public_path.write_bytes(public_pem)
    except OSError as exc:
        raise SigningKeyError(f"cannot write the key pair: {exc.strerror}", source=out) from exc
    return private_path, public_path


def _key_bytes(path: Path, what: str) -> bytes:
    path = Path(path)
    try:
        if not path.is_file():
            raise SigningKeyError(f"{what}: not a file", source=path)
        if path.stat().st_size > MAX_KEY_FILE_BYTES:
            raise SigningKeyError(f"{what}: too large to be a key file", source=path)
        return path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"{what}: cannot read ({exc.strerror})", source=path) from exc


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """An unencrypted PEM Ed25519 private key, as ``twin audit keygen`` writes it."""
    data = _key_bytes(path, "--signing-key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(
            "--signing-key: not an unencrypted PEM private key (make one with twin audit keygen)",
            source=path,
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError("--signing-key: must be an Ed25519 key", source=path)
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A PEM Ed25519 public key, as ``twin audit keygen`` writes it."""
    data = _key_bytes(path, "--public-key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError("--public-key: not a PEM public key", source=path) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError("--public-key: must be an Ed25519 key", source=path)
    return key


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(key: Ed25519PublicKey) -> str:
    """Short SHA-256 fingerprint of a public key, for people to compare."""
    return "SHA256:" + hashlib.sha256(_raw(key)).hexdigest()[:16]


# --- checkpoints ---------------------------------------------------------------------------------


def _statement(entries: int, root_hex: str, head_hex: str) -> bytes:
    return f"{FORMAT}\n{entries}\n{root_hex}\n{head_hex}\n".encode("ascii")


def _lines(ledger_bytes: bytes) -> list[bytes]:
    lines = ledger_bytes.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def _head(lines: list[bytes], n: int) -> str:
    if n == 0:
        return "0" * 64
    head = json.loads(lines[n - 1]).get("sha256")
    return head if isinstance(head, str) else ""


def sign_ledger(ledger_bytes: bytes, key: Ed25519PrivateKey) -> bytes:
    """The signed checkpoints file (JSON) for a ledger's JSON Lines bytes."""
    lines = _lines(ledger_bytes)
    leaves = [leaf_hash(line) for line in lines]
    sizes = sorted({*range(CHECKPOINT_EVERY, len(lines), CHECKPOINT_EVERY), len(lines)})
    checkpoints = []
    for n in sizes:
        root_hex = merkle_root(leaves[:n]).hex()
        head_hex = _head(lines, n)
        signature = key.sign(_statement(n, root_hex, head_hex))
        checkpoints.append(
            {
                "entries": n,
                "merkle_root": root_hex,
                "head_sha256": head_hex,
                "signature": base64.b64encode(signature).decode("ascii"),
            }
        )
    document = {
        "format": FORMAT,
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(_raw(key.public_key())).decode("ascii"),
        "checkpoints": checkpoints,
    }
    return (json.dumps(document, indent=1) + "\n").encode("ascii")


@dataclass(frozen=True)
class SignatureCheck:
    """What the signed checkpoints say about a ledger."""

    status: str  # "signed", "unsigned", "bad"
    reason: str = ""
    fingerprint: str = ""
    checkpoints: int = 0
    key_checked: bool = False  # checked against a key the overseer holds, not the one in the file

    @property
    def ok(self) -> bool:
        return self.status == "signed"

    def as_dict(self) -> dict[str, Any]:
        return {
            "signature": self.status,
            "reason": self.reason or None,
            "fingerprint": self.fingerprint or None,
            "checkpoints": self.checkpoints,
            "key_checked": self.key_checked,
        }


def check_signatures(
    ledger_bytes: bytes, checkpoints_bytes: bytes | None, public_key: Ed25519PublicKey | None
) -> SignatureCheck:
    """Check every signed checkpoint against the ledger (and against ``public_key`` when given)."""
    if checkpoints_bytes is None:
        return SignatureCheck("unsigned", "no signed checkpoints beside the ledger")
    try:
        document = json.loads(checkpoints_bytes)
        embedded = Ed25519PublicKey.from_public_bytes(base64.b64decode(document["public_key"]))
        items = document["checkpoints"]
        if document.get("format") != FORMAT or not isinstance(items, list) or not items:
            raise ValueError("no checkpoints of the known format")
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        return SignatureCheck("bad", f"{CHECKPOINTS_FILE} is not a checkpoints file ({exc})")
    key = embedded
    if public_key is not None:
        if _raw(public_key) != _raw(embedded):
            return SignatureCheck(
                "bad",
                f"signed by another key ({fingerprint(embedded)}), not the one given "
                f"({fingerprint(public_key)})",
                fingerprint(embedded),
            )
        key = public_key
    lines = _lines(ledger_bytes)
    leaves = [leaf_hash(line) for line in lines]
    for item in items:
        try:
            n, root_hex, head_hex = (
                int(item["entries"]),
                str(item["merkle_root"]),
                str(item["head_sha256"]),
            )
            key.verify(base64.b64decode(item["signature"]), _statement(n, root_hex, head_hex))
        except (InvalidSignature, ValueError, KeyError, TypeError) as exc:
            reason = (
                "a checkpoint's signature does not verify"
                if isinstance(exc, InvalidSignature)
                else f"a checkpoint is malformed ({exc})"
            )
            return SignatureCheck("bad", reason, fingerprint(key))
        if n > len(lines):
            return SignatureCheck(
                "bad", f"a signed checkpoint covers {n} entries but the ledger holds {len(lines)}"
            )
        if merkle_root(leaves[:n]).hex() != root_hex:
            return SignatureCheck(
                "bad",
                f"entries 0-{n - 1} no longer give the signed Merkle root: an entry was changed "
                "after signing",
                fingerprint(key),
            )
    last = max(int(item["entries"]) for item in items)
    if last != len(lines):
        return SignatureCheck(
            "bad",
            f"the last signed checkpoint covers {last} entries but the ledger holds {len(lines)}",
            fingerprint(key),
        )
    return SignatureCheck("signed", "", fingerprint(key), len(items), public_key is not None)
