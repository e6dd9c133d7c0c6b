"""Settings dialog: values persist between runs and take effect in the window."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.gui


def test_settings_persist_and_apply(qtbot, ecgchat_home, tmp_path):
    from ecgchat_desktop.ui.main_window import MainWindow
    from ecgchat_desktop.ui.preferences import Preferences
    from ecgchat_desktop.ui.settings_dialog import SettingsDialog

    win = MainWindow(Preferences(), open_store_in_background=False, load_model=False)
    qtbot.addWidget(win)
    dlg = SettingsDialog(win.prefs, win)
    qtbot.addWidget(dlg)
    # A file that is not GGUF is refused with the reason, and nothing is added.
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"not a model")
    assert not dlg.add_model(str(fake))
    assert "model.gguf" in dlg.model_error.text() and "GGUF" in dlg.model_error.text()
    dlg.layout_.setCurrentIndex(dlg.layout_.findData("6x2"))
    dlg.speed.setCurrentIndex(dlg.speed.findData(50.0))
    dlg.gain.setCurrentIndex(dlg.gain.findData(20.0))
    dlg.half.setChecked(True)
    dlg.paper.setCurrentIndex(dlg.paper.findData("Letter"))
    dlg.deid.setChecked(True)
    dlg.user.setText("Dr. Persisted")
    dlg.n_ctx.setValue(2048)
    dlg.encoder.setCurrentIndex(dlg.encoder.findData("cpu"))
    dlg.db.setText(str(tmp_path / "other.sqlite3"))
    changed = dlg.save()
    assert {"view/layout", "view/speed_mm_s", "user/name", "model/n_ctx"} <= set(changed)
    win.apply_settings({k: v for k, v in changed.items() if not k.startswith("model/")})
    assert win.current_layout_name() == "6x2" and win.speed_mm_s() == 50.0 and win.gain_mm_mv() == 20.0
    assert win.half_chest.isChecked() and win.report_panel.deidentify.isChecked()
    assert win.report_panel.paper.currentData() == "letter"
    # A new run (a new Preferences on the same file) reads the same values.
    again = Preferences()
    assert again.get("view/layout") == "6x2" and again.get("view/gain_mm_mv") == 20.0
    assert again.get("model/n_ctx") == 2048 and again.get("encoder/device") == "cpu"
    assert again.user_name() == "Dr. Persisted" and again.get("report/deidentify") is True
    assert again.get("store/url").endswith("other.sqlite3")
    win2 = MainWindow(again, open_store_in_background=False, load_model=False)
    qtbot.addWidget(win2)
    assert win2.current_layout_name() == "6x2" and win2.speed_mm_s() == 50.0
