"""What a report is asked to contain and how it is laid out (plain data, no drawing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ecgchat_desktop.report.paper import (
    DEFAULT_RHYTHM_LEADS,
    LAYOUTS,
    PaperSettings,
    PaperSettingsError,
)

PAPER_SIZES_MM: dict[str, tuple[float, float]] = {
    # landscape (width, height)
    "a4": (297.0, 210.0),
    "letter": (279.4, 215.9),
}
QTC_FORMULA_LABELS = {
    "bazett": "Bazett",
    "fridericia": "Fridericia",
    "framingham": "Framingham",
    "hodges": "Hodges",
}
SECTION_TITLES: tuple[str, ...] = (
    "Patient information",
    "Clinical context",
    "ECG data analysis",
    "Findings",
    "Conclusion",
    "Recommendations",
)


@dataclass(frozen=True)
class ReportOptions:
    layout: str = "3x4+1"
    speed_mm_s: float = 25.0
    gain_mm_mv: float = 10.0
    paper: str = "a4"                  # "a4" | "letter", always landscape
    chest_half_gain: bool = False
    rhythm_leads: tuple[str, ...] | None = None  # None: II (3x4+1) or II, V1, V5 (3x4+3)
    highpass_hz: float | None = 0.5    # display filter only; measurements use their own
    lowpass_hz: float | None = 150.0
    notch_hz: float | None = None
    qtc_formulas: tuple[str, ...] = ("bazett", "fridericia")
    use_llm: bool = True               # False: page 2 holds the structured sections only
    include_transcript: bool = True    # appendix, when a transcript is given
    deidentify: bool = False
    referring_physician: str | None = None
    reading_physician: str | None = None
    clinical_context: str | None = None  # indication / history as entered by the user
    created_by: str | None = None        # user who produced the report (store, PDF author)
    record_label: str | None = None      # shown in the footer; e.g. the file name

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise PaperSettingsError(f"layout {self.layout!r} is not one of {', '.join(LAYOUTS)}")
        if self.paper not in PAPER_SIZES_MM:
            raise PaperSettingsError(f"paper {self.paper!r} is not one of {', '.join(PAPER_SIZES_MM)}")
        for name in self.qtc_formulas:
            if name not in QTC_FORMULA_LABELS:
                raise PaperSettingsError(f"QTc formula {name!r} is not one of {', '.join(QTC_FORMULA_LABELS)}")
        self.paper_settings()  # validates speed and gain

    def paper_settings(self) -> PaperSettings:
        return PaperSettings(float(self.speed_mm_s), float(self.gain_mm_mv), bool(self.chest_half_gain))

    def effective_rhythm_leads(self) -> tuple[str, ...]:
        return tuple(self.rhythm_leads or DEFAULT_RHYTHM_LEADS.get(self.layout, ()))

    def page_size_mm(self) -> tuple[float, float]:
        return PAPER_SIZES_MM[self.paper]


@dataclass(frozen=True)
class Confirmation:
    """A physician's sign-off. Until present the print says 'unconfirmed program draft'."""

    confirmed_by: str
    confirmed_at: datetime
    statements_confirmed: bool = True   # page 1 statements
    narrative_confirmed: bool = False   # page 2 text drafted by the language model
    comment: str | None = None


@dataclass
class NarrativeSection:
    title: str
    text: str
    # Sentences the claim check rejected or could not verify, shown flagged (never silently kept).
    flagged: list[str] = field(default_factory=list)
    # Who wrote this section: "program", "language model", or e.g. "program (model draft rejected ...)".
    source: str | None = None
    notes: list[str] = field(default_factory=list)  # claim-check verdict, cited knowledge passages


@dataclass
class Narrative:
    """The six-section narrative of page 2."""

    sections: list[NarrativeSection]
    source: str = "structured"          # "structured" (from Findings, no model) | "llm"
    model: str | None = None            # model file/name when source == "llm"
    claim_check: list[str] = field(default_factory=list)  # summary lines of the claim check


@dataclass
class TranscriptMessage:
    role: str    # "user" | "assistant" | "system"
    text: str
    at: datetime | None = None
