"""Format detection looks at content, not the extension."""

from __future__ import annotations

import shutil

import pytest

from ecgchat_desktop.io import EcgReadError, UnsupportedFormatError, detect_format, read_ecg, write_ecg
from ecgchat_desktop.io.detect import _READER_MODULES
from ecgchat_desktop.settings import SAMPLES_DIR

HEA = SAMPLES_DIR / "ptbxl-00001" / "00001_hr.hea"
DCM = SAMPLES_DIR / "dicom" / "ecgtoolkit-example.dcm"


def test_known_files():
    assert detect_format(HEA) == "wfdb"
    assert detect_format(HEA.with_suffix(".dat")) == "wfdb"
    assert detect_format(DCM) == "dicom"


def test_wrong_extensions(tmp_path):
    fake_csv = tmp_path / "really_dicom.csv"
    shutil.copy(DCM, fake_csv)
    assert detect_format(fake_csv) == "dicom"
    assert read_ecg(fake_csv).source_format == "dicom"
    csv_as_txt = write_ecg(read_ecg(HEA), tmp_path / "ecg.csv").rename(tmp_path / "ecg.txt")
    assert detect_format(csv_as_txt) == "csv"
    assert read_ecg(csv_as_txt).n_leads == 12
    dicom_as_hea = tmp_path / "x.hea"
    shutil.copy(DCM, dicom_as_hea)
    assert detect_format(dicom_as_hea) == "dicom"


def test_wfdb_header_with_other_extension_is_explained(tmp_path):
    odd = tmp_path / "00001_hr.txt"
    shutil.copy(HEA, odd)
    assert detect_format(odd) == "wfdb"
    with pytest.raises(UnsupportedFormatError, match=r"\.hea"):
        read_ecg(odd)


def test_unrecognised_and_missing(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("Dear colleague, please find the ECG attached.\n")
    with pytest.raises(UnsupportedFormatError):
        detect_format(text)
    with pytest.raises(EcgReadError, match="does not exist"):
        read_ecg(tmp_path / "nothing.hea")
    with pytest.raises(UnsupportedFormatError, match="folder"):
        read_ecg(tmp_path)


def test_shared_format_samples_each_detected(data_dir):
    formats = data_dir / "formats"
    found = {}
    for path in sorted(formats.rglob("*")):
        if path.is_file() and not path.name.startswith("LICENSE"):
            try:
                found[path.name] = detect_format(path)
            except EcgReadError:
                found[path.name] = None
    assert found["ecgtoolkit-example.dcm"] == "dicom"
    assert found["hemodynamic-240hz.dcm"] == "dicom"
    # every sample file is claimed by exactly the reader of its folder, when that reader exists
    by_folder = {"hl7-aecg": "hl7-aecg", "scp-ecg": "scp-ecg", "philips-xml": "philips-xml"}
    for path in formats.rglob("*"):
        folder = path.parent.name
        module = {"hl7-aecg": "hl7_aecg", "scp-ecg": "scp", "philips-xml": "philips_xml"}.get(folder)
        if module and module in _READER_MODULES and found.get(path.name) is not None:
            assert found[path.name] == by_folder[folder], path
