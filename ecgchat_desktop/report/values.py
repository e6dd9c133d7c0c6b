"""How numbers and patient fields are printed on the report (one place, so tests can
compare what is printed with what was measured)."""

from __future__ import annotations

import math
from datetime import date, datetime

DASH = "—"


def _ok(value) -> bool:
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)


def fmt_int(value, unit: str = "") -> str:
    """A measured value rounded to a whole number with its unit, or a dash when absent."""
    if not _ok(value):
        return DASH
    return f"{int(round(value))}{(' ' + unit) if unit and unit != '°' else unit}"


def fmt_ms(value) -> str:
    return fmt_int(value, "ms")


def fmt_bpm(value) -> str:
    return fmt_int(value, "bpm")


def fmt_deg(value) -> str:
    return fmt_int(value, "°")


def fmt_sex(sex: str | None) -> str:
    return {"M": "male", "F": "female"}.get(sex or "", DASH)


def fmt_age(age_years) -> str:
    if not _ok(age_years):
        return DASH
    # PTB-XL (and HIPAA safe harbour) cap ages above 89; say so instead of printing 300.
    if age_years >= 90:
        return "≥ 90 y"
    return f"{int(age_years)} y"


def fmt_datetime(value) -> str:
    if value is None:
        return DASH
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def text_or_dash(value) -> str:
    if value is None:
        return DASH
    text = str(value).strip()
    return text if text else DASH
