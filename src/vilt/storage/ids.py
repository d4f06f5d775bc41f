"""Row ids in bulk: one call to the system's randomness for many ids (an import writes 10,000
records, and ``uuid4()`` asks the kernel once per id)."""

from __future__ import annotations

import os
import uuid


def new_ids(count: int) -> list[uuid.UUID]:
    raw = os.urandom(16 * count)
    return [uuid.UUID(bytes=raw[i : i + 16], version=4) for i in range(0, 16 * count, 16)]
