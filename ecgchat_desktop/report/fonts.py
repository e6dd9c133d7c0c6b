"""The report's fonts: DejaVu Sans from resources/fonts, registered once and embedded (subset)
in every PDF so that it prints the same everywhere and covers °, ≥, µ, ½ and umlauts."""

from __future__ import annotations

from functools import lru_cache

from ecgchat_desktop.settings import RESOURCES_DIR

FONT_DIR = RESOURCES_DIR / "fonts"
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"


@lru_cache(maxsize=1)
def register_fonts() -> tuple[str, str]:
    """Register the TrueType fonts with reportlab (idempotent); returns (regular, bold) names."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, filename in ((REGULAR, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf")):
        path = FONT_DIR / filename
        if not path.is_file():
            raise FileNotFoundError(f"{path}: report font missing (reinstall the application)")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, REGULAR)
    addMapping(REGULAR, 1, 1, BOLD)
    return REGULAR, BOLD
