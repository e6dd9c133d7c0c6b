"""One lead order for every reader: the standard 12 first (I, II, III, aVR, aVL, aVF, V1-V6), others after."""

from __future__ import annotations

from ecgchat_desktop.ecg import STANDARD_12_LEADS


def standard_order(names) -> list[int]:
    """Indices that put `names` in the standard order; non-standard leads keep their file order after them."""
    names = list(names)
    rank = {name: i for i, name in enumerate(STANDARD_12_LEADS)}
    return sorted(range(len(names)), key=lambda i: (rank.get(names[i], len(rank)), i))
