"""Where the write-ahead log's drainer has got to, stored so that a full disk cannot stop it.

The checkpoint is rewritten after every stored block. Writing a new file and renaming it over
the old one needs free space, so on a full disk the drainer could neither record progress nor
delete finished segments — the only thing that would free space. Instead the file is allocated
once with two fixed-size slots; each save overwrites the older slot in place (no new blocks on
tmpfs, ext4 or xfs) and fsyncs it. A slot carries a sequence number and a CRC, so a save torn
by a crash leaves the other slot, one save older, to load: the drainer then re-inserts a block
under the same deduplication token, which stores it once.

    slots = CheckpointFile(Path("wal/checkpoint.slots"), fsync=True)
    slots.save(committed=(3, 4096), pending=None)
    slots.load()  # → ((3, 4096), None)
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from pathlib import Path

# sequence u64, committed (segment, offset), has-pending flag, pending start and end; then CRC
_SLOT = struct.Struct("<QqqBqqqq")
_SLOT_BYTES = 64
_CRC = struct.Struct("<I")
LEGACY_JSON = "checkpoint.json"

Pair = tuple[int, int]
Pending = tuple[Pair, Pair] | None


class CheckpointFile:
    def __init__(self, path: Path, fsync: bool = True):
        self.path = path
        self._fsync = fsync
        self._sequence = 0
        if not path.exists():
            temporary = path.with_suffix(".tmp")
            temporary.write_bytes(bytes(2 * _SLOT_BYTES))
            os.replace(temporary, path)
        self._descriptor = os.open(path, os.O_RDWR)

    def load(self) -> tuple[Pair, Pending] | None:
        """The newest intact save, or None when nothing was ever saved."""
        raw = os.pread(self._descriptor, 2 * _SLOT_BYTES, 0)
        best: tuple[int, Pair, Pending] | None = None
        for index in range(2):
            slot = raw[index * _SLOT_BYTES : (index + 1) * _SLOT_BYTES]
            decoded = _decode(slot)
            if decoded is not None and (best is None or decoded[0] > best[0]):
                best = decoded
        if best is None:
            return self._load_legacy()
        self._sequence = best[0]
        return best[1], best[2]

    def save(self, committed: Pair, pending: Pending) -> None:
        self._sequence += 1
        start, end = pending if pending is not None else ((0, 0), (0, 0))
        body = _SLOT.pack(self._sequence, *committed, pending is not None, *start, *end)
        slot = body + _CRC.pack(zlib.crc32(body))
        offset = (self._sequence % 2) * _SLOT_BYTES
        os.pwrite(self._descriptor, slot.ljust(_SLOT_BYTES, b"\0"), offset)
        if self._fsync:
            os.fsync(self._descriptor)

    def close(self) -> None:
        os.close(self._descriptor)

    def _load_legacy(self) -> tuple[Pair, Pending] | None:
        # logs written before the slot file kept their checkpoint as JSON; read it once
        legacy = self.path.parent / LEGACY_JSON
        if not legacy.exists():
            return None
        data = json.loads(legacy.read_text())
        pending = data.get("pending")
        committed = (int(data["committed"][0]), int(data["committed"][1]))
        loaded: tuple[Pair, Pending] = (
            committed,
            ((pending[0][0], pending[0][1]), (pending[1][0], pending[1][1])) if pending else None,
        )
        self.save(*loaded)
        legacy.unlink()
        return loaded


def _decode(slot: bytes) -> tuple[int, Pair, Pending] | None:
    body = slot[: _SLOT.size]
    (crc,) = _CRC.unpack(slot[_SLOT.size : _SLOT.size + _CRC.size])
    if zlib.crc32(body) != crc:
        return None
    sequence, c_seg, c_off, has_pending, s_seg, s_off, e_seg, e_off = _SLOT.unpack(body)
    if sequence == 0:
        return None  # the zeroed slot of a fresh file
    pending: Pending = ((s_seg, s_off), (e_seg, e_off)) if has_pending else None
    return sequence, (c_seg, c_off), pending
