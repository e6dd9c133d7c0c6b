"""Channel labels of generic formats (WFDB, EDF, CSV) to lead names.

`ecg.canonical_lead_name` maps '1' to lead I and 'C1'/'CH1' to V1, which is right for
vendors that number leads that way, but WFDB, EDF and CSV files often label channels
by position ('ECG 1', 'ch1', 'signal 2', 'col 0'). A channel number is not a lead:
those labels are kept as written.
"""

from __future__ import annotations

import re

from ecgchat_desktop.ecg import canonical_lead_name

_CHANNEL_NUMBER = re.compile(r"^(?:ecg|ekg|ch|chan|channel|sig|signal|col|column)[\s_.-]*\d+$", re.IGNORECASE)


def lead_label(raw: str) -> str:
    text = str(raw).strip()
    if _CHANNEL_NUMBER.match(text):
        return text
    return canonical_lead_name(text)
