"""Helpers for the broken-input tests of the file readers (HL7 aECG, SCP-ECG, Philips, GE MUSE).

Each helper writes a real damaged file and checks that reading it gives a typed
`EcgReadError` (never another exception, never a hang: tests using these carry a
pytest timeout).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ecgchat_desktop.io import read_ecg
from ecgchat_desktop.io.errors import EcgReadError

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">\n' for i in range(1, 10))
    + "]>\n"
)

EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
)


def truncation_points(size: int) -> list[int]:
    """A spread of cut positions: the very start, inside the header, the middle, one byte short."""
    points = {1, 2, 7, 16, 100, 1000, size // 4, size // 2, (3 * size) // 4, size - 100, size - 1}
    return sorted(p for p in points if 0 < p < size)


def expect_typed_error(module, path: Path) -> EcgReadError:
    """Reading through the module and through `read_ecg` both give an EcgReadError naming the file."""
    with pytest.raises(EcgReadError) as direct:
        module.read(path)
    assert str(path) in str(direct.value)
    with pytest.raises(EcgReadError) as dispatched:
        read_ecg(path)
    assert str(path) in str(dispatched.value)
    return direct.value


def random_bytes(n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.getrandbits(8) for _ in range(n))
