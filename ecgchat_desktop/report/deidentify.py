"""De-identified export: names and identifiers removed from every text the report prints
(header, narrative, transcript) and from the PDF metadata (see render._set_metadata)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePath

from ecgchat_desktop.report.options import Narrative, NarrativeSection, ReportOptions, TranscriptMessage

REMOVED = "[removed]"


def identifying_strings(ecg, options: ReportOptions) -> list[str]:
    """Every string that could identify the patient or a person on this report."""
    p = ecg.patient
    found: list[str] = []
    for value in (p.name, p.id, options.referring_physician, options.reading_physician, options.created_by,
                  options.record_label):
        if value:
            text = str(value).strip()
            found.append(text)
            # DICOM-style "Family^Given" names and "Dr. A. Smith": each name part alone too.
            found.extend(part for part in re.split(r"[\^\s,]+", text) if len(part.strip(".")) >= 3)
    if p.birth_date:
        found.append(p.birth_date.isoformat())
        found.append(p.birth_date.strftime("%d.%m.%Y"))
    if ecg.source_path:
        path = PurePath(ecg.source_path)
        found.extend([str(ecg.source_path), path.name, path.stem])
    # Longest first so that a full name is replaced before its parts.
    return sorted({s for s in found if s}, key=len, reverse=True)


def scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        pattern = re.escape(secret)
        if secret[:1].isalnum():
            pattern = r"(?<![\w])" + pattern
        if secret[-1:].isalnum():
            pattern = pattern + r"(?![\w])"
        text = re.sub(pattern, REMOVED, text, flags=re.IGNORECASE)
    return text


def deidentify_narrative(narrative: Narrative, ecg, options: ReportOptions) -> Narrative:
    secrets = identifying_strings(ecg, options)
    sections = [NarrativeSection(s.title, scrub(s.text, secrets), [scrub(f, secrets) for f in s.flagged])
                for s in narrative.sections]
    return replace(narrative, sections=sections, claim_check=[scrub(x, secrets) for x in narrative.claim_check])


def deidentify_transcript(transcript: list[TranscriptMessage], ecg, options: ReportOptions) -> list[TranscriptMessage]:
    secrets = identifying_strings(ecg, options)
    return [TranscriptMessage(m.role, scrub(m.text, secrets), m.at) for m in transcript]
