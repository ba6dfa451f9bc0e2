"""The gallery file: a saved watchlist, written atomically and refused if damaged.

Layout (one file)::

    MAGIC (8 bytes) | header length (8 bytes, little-endian) | header (UTF-8 JSON) | payload (.npz)

The header names the format version, backend, dimension and backend parameters, and carries the
SHA-256 and byte length of the payload. The payload is a numpy ``.npz`` archive (no pickles) of the
backend's FAISS index and the watchlist entries. Saving writes a temporary file beside the target,
flushes it to disk and renames it over the target, so a reader sees the old file or the new one,
never half of either. Loading checks magic, version, length and checksum before parsing anything.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from twin.matcher.errors import GalleryFileError

MAGIC: Final = b"TWINGAL\x01"
FORMAT_VERSION: Final = 1
_LENGTH_BYTES: Final = 8


@dataclass(frozen=True)
class GalleryFile:
    """What a gallery file holds: a header (JSON-ready dict) and named arrays."""

    header: dict[str, Any]
    arrays: dict[str, npt.NDArray[Any]]


def write_gallery(path: Path, gallery: GalleryFile) -> None:
    """Write ``gallery`` to ``path`` atomically (temporary file, fsync, rename)."""
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **gallery.arrays)
    payload = buffer.getvalue()
    header = dict(gallery.header)
    header.update(
        format_version=FORMAT_VERSION,
        payload_bytes=len(payload),
        payload_sha256=hashlib.sha256(payload).hexdigest(),
    )
    header_bytes = json.dumps(header, sort_keys=True).encode("utf-8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(MAGIC)
            tmp.write(len(header_bytes).to_bytes(_LENGTH_BYTES, "little"))
            tmp.write(header_bytes)
            tmp.write(payload)
            tmp.flush()
            os.fsync(tmp.fileno())
        Path(tmp_name).replace(path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_gallery(path: Path) -> GalleryFile:
    """Read and verify a gallery file; `GalleryFileError` if it is missing or damaged."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GalleryFileError(f"cannot read gallery file: {exc.strerror}", source=path) from exc
    if not data.startswith(MAGIC):
        raise GalleryFileError("not a twin gallery file (bad magic bytes)", source=path)
    start = len(MAGIC) + _LENGTH_BYTES
    header_length = int.from_bytes(data[len(MAGIC) : start], "little")
    try:
        header = json.loads(data[start : start + header_length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GalleryFileError("gallery header is damaged (not JSON)", source=path) from exc
    if not isinstance(header, dict):
        raise GalleryFileError("gallery header is damaged (not a JSON object)", source=path)
    if header.get("format_version") != FORMAT_VERSION:
        raise GalleryFileError(
            f"gallery format version {header.get('format_version')!r}, this twin reads {FORMAT_VERSION}",
            source=path,
        )
    payload = data[start + header_length :]
    if len(payload) != header.get("payload_bytes"):
        raise GalleryFileError(
            f"gallery payload is {len(payload)} bytes, header says {header.get('payload_bytes')} "
            "(truncated or appended to)",
            source=path,
        )
    if hashlib.sha256(payload).hexdigest() != header.get("payload_sha256"):
        raise GalleryFileError(
            "gallery payload fails its SHA-256 checksum (corrupted)", source=path
        )
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (ValueError, OSError) as exc:
        raise GalleryFileError(f"gallery payload cannot be read: {exc}", source=path) from exc
    return GalleryFile(header=header, arrays=arrays)
