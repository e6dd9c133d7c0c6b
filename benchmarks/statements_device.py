"""Side by side: the statements (and global measurements) the acquiring device printed inside
the DICOM / SCP-ECG / HL7 aECG / Philips XML / GE MUSE samples, versus ours.

A device statement "matches" when its text contains a synonym of a vocabulary code
(resources/statements.json) and we fired that code; "missed" when we did not; our statements
no device line names are listed as "ours only".

    nice -n 10 .venv/bin/python benchmarks/statements_device.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ecgchat_desktop.analysis import measure  # noqa: E402
from ecgchat_desktop.interpret import interpret  # noqa: E402
from ecgchat_desktop.interpret.vocabulary import load_vocabulary  # noqa: E402
from ecgchat_desktop.io import EcgReadError, read_ecg  # noqa: E402
from ecgchat_desktop.settings import PROJECT_DIR, shared_data_dir  # noqa: E402

# Generic words that would match too much inside device sentences.
_SKIP_TERMS = {"sr", "sa", "ste", "std", "pace", "af", "vt", "lad", "rad", "norm", "artifact"}


def sample_files() -> list[Path]:
    fmt = shared_data_dir() / "formats"
    files = sorted(p for p in fmt.glob("*/*") if p.suffix.lower() in (".dcm", ".scp", ".xml"))
    files += sorted((PROJECT_DIR / "tests" / "data" / "ge-muse").glob("*.xml"))
    return files


def codes_named_in(text: str) -> set[str]:
    """The vocabulary code whose longest synonym occurs in `text` (word-bounded); the longest
    wins so that "intraventricular conduction delay, not LBBB/RBBB" names IVCD only."""
    low = " " + re.sub(r"[^a-z0-9]+", " ", text.lower()) + " "
    best: dict[str, int] = {}
    for code, d in load_vocabulary().items():
        for term in (d.text, *d.synonyms):
            t = re.sub(r"[^a-z0-9]+", " ", term.lower()).strip()
            if len(t) < 3 or t in _SKIP_TERMS:
                continue
            if f" {t} " in low:
                best[code] = max(best.get(code, 0), len(t))
    if not best:
        return set()
    top = max(best.values())
    return {c for c, n in best.items() if n == top}


SINUS = {"SR", "SBRAD", "STACH", "SARRH"}


def _v(x, unit=""):
    return "—" if x is None else f"{x:.0f}{unit}"


def main() -> int:
    n_match = n_miss = n_dev = 0
    print("Device statements versus ours (program drafts on both sides)")
    for path in sample_files():
        try:
            ecg = read_ecg(path)
        except EcgReadError as exc:
            print(f"\n== {path.name}: not readable ({exc})")
            continue
        if ecg.n_leads < 8:
            print(f"\n== {path.name}: {ecg.n_leads} lead(s) only, skipped")
            continue
        m = measure(ecg)
        ours = interpret(m, ecg.patient)
        our_codes = {s.code for s in ours}
        d = ecg.device_measurements
        print(f"\n== {path.name} ({ecg.source_format}, {ecg.device or 'device unknown'})")
        print(f"| {'':<8} | {'HR':>5} | {'PR':>5} | {'QRS':>5} | {'QT':>5} | {'QTc':>5} | {'P ax':>5} | {'QRS ax':>6} | {'T ax':>5} |")
        print("|----------|-------|-------|-------|-------|-------|-------|--------|-------|")
        print(f"| {'device':<8} | {_v(d.hr_bpm):>5} | {_v(d.pr_ms):>5} | {_v(d.qrs_ms):>5} | {_v(d.qt_ms):>5} | "
              f"{_v(d.qtc_ms):>5} | {_v(d.p_axis_deg):>5} | {_v(d.qrs_axis_deg):>6} | {_v(d.t_axis_deg):>5} |")
        qtc_b = (m.qtc_ms or {}).get("bazett")
        print(f"| {'ours':<8} | {_v(m.hr_bpm):>5} | {_v(m.pr_ms):>5} | {_v(m.qrs_ms):>5} | {_v(m.qt_ms):>5} | "
              f"{_v(qtc_b):>5} | {_v(m.p_axis_deg):>5} | {_v(m.qrs_axis_deg):>6} | {_v(m.t_axis_deg):>5} |"
              "   (our QTc: Bazett, as devices usually print)")
        named_all: set[str] = set()
        print("device statements:" if ecg.device_statements else "device statements: none in the file")
        for line in ecg.device_statements:
            named = codes_named_in(line)
            named_all |= named
            if named:
                n_dev += 1
                hit = named & our_codes
                if not hit and "SR" in named and our_codes & SINUS:
                    hit = our_codes & SINUS  # sinus arrhythmia / brady / tachy are sinus rhythm too
                if hit:
                    n_match += 1
                else:
                    n_miss += 1
                verdict = ("match " + ",".join(sorted(hit))) if hit else ("missed " + ",".join(sorted(named)))
            else:
                verdict = "(no vocabulary term)"
            print(f"  - {line:<80} → {verdict}")
        print("ours:")
        for s in ours:
            tag = "" if s.code in named_all or s.code in ("ABNORMAL", "POOR_QUALITY") else "   [ours only]"
            print(f"  - [{s.severity}] {s.code}: {s.text}{tag}")
    print(f"\nSummary: {n_dev} device statements name a vocabulary code; {n_match} matched by ours, {n_miss} missed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
