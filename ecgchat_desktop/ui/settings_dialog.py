"""Settings: language model, encoder device, database, display defaults, report, user.
Everything is persisted through `Preferences` (QSettings INI in the user data folder)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ecgchat_desktop.ui import paper_layout as pl
from ecgchat_desktop.ui.preferences import Preferences


class SettingsDialog(QDialog):
    def __init__(self, prefs: Preferences, parent=None):
        super().__init__(parent)
        self.prefs = prefs
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        lay = QVBoxLayout(self)

        # ---- language model
        box = QGroupBox("Language model (GGUF)")
        form = QFormLayout(box)
        self.model = QComboBox()
        self.model.setObjectName("modelCombo")
        add = QPushButton("Add GGUF file…")
        add.clicked.connect(self.add_model_dialog)
        row = QHBoxLayout()
        row.addWidget(self.model, 1)
        row.addWidget(add)
        holder = QWidget()
        holder.setLayout(row)
        form.addRow("Model", holder)
        self.n_ctx = QSpinBox()
        self.n_ctx.setRange(512, 131072)
        self.n_ctx.setSingleStep(1024)
        self.n_threads = QSpinBox()
        self.n_threads.setRange(0, 256)
        self.n_threads.setSpecialValueText("automatic (all cores but one)")
        self.n_gpu = QSpinBox()
        self.n_gpu.setRange(-1, 999)
        self.n_gpu.setSpecialValueText("all layers")
        form.addRow("Context (tokens)", self.n_ctx)
        form.addRow("CPU threads", self.n_threads)
        form.addRow("GPU layers", self.n_gpu)
        self.model_error = QLabel("")
        self.model_error.setStyleSheet("color: #b00020")
        self.model_error.setWordWrap(True)
        form.addRow(self.model_error)
        lay.addWidget(box)

        # ---- encoder and database
        box = QGroupBox("Encoder and database")
        form = QFormLayout(box)
        self.encoder = QComboBox()
        for label, value in (("Automatic (GPU when present)", "auto"), ("CPU", "cpu"), ("CUDA GPU", "cuda")):
            self.encoder.addItem(label, value)
        form.addRow("ECG encoder device", self.encoder)
        self.db = QLineEdit()
        self.db.setPlaceholderText("default: SQLite file in the user data folder")
        browse = QPushButton("Choose file…")
        browse.clicked.connect(self._choose_db)
        row = QHBoxLayout()
        row.addWidget(self.db, 1)
        row.addWidget(browse)
        holder = QWidget()
        holder.setLayout(row)
        form.addRow("Database (file or URL)", holder)
        lay.addWidget(box)

        # ---- display defaults and report
        box = QGroupBox("Display and report")
        form = QFormLayout(box)
        self.layout_ = QComboBox()
        for name in pl.LAYOUTS:
            self.layout_.addItem(pl.LAYOUT_TITLES[name], name)
        self.speed = QComboBox()
        for s in pl.SPEEDS_MM_S:
            self.speed.addItem(f"{s:g} mm/s", s)
        self.gain = QComboBox()
        for g in pl.GAINS_MM_MV:
            self.gain.addItem(f"{g:g} mm/mV", g)
        self.half = QCheckBox("Chest leads at half gain")
        self.theme = QComboBox()
        self.theme.addItem("Light", "light")
        self.theme.addItem("Dark", "dark")
        self.paper = QComboBox()
        self.paper.addItem("A4", "A4")
        self.paper.addItem("Letter", "Letter")
        self.deid = QCheckBox("De-identify exported reports")
        self.user = QLineEdit()
        self.user.setPlaceholderText("shown as 'confirmed by' and report author")
        form.addRow("Default layout", self.layout_)
        form.addRow("Default speed", self.speed)
        form.addRow("Default gain", self.gain)
        form.addRow("", self.half)
        form.addRow("Theme", self.theme)
        form.addRow("Paper size", self.paper)
        form.addRow("", self.deid)
        form.addRow("Your name", self.user)
        lay.addWidget(box)

        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self._load()

    # -------------------------------------------------------------- values
    def _fill_models(self, select_path: str = "") -> None:
        self.model.clear()
        self.model.addItem("Default (embedded SmolLM2-135M-Instruct)", "")
        try:
            from ecgchat_desktop.chat.models import list_models

            for entry in list_models():
                if entry.origin == "default":
                    continue
                self.model.addItem(f"{entry.name} ({entry.size_bytes / 1e9:.1f} GB, {entry.origin})", str(entry.path))
        except Exception as exc:  # the models list could not be read: say so, keep the default
            self.model_error.setText(f"Model list not available: {exc}")
        i = self.model.findData(select_path)
        self.model.setCurrentIndex(max(0, i))

    def _load(self) -> None:
        p = self.prefs
        self._fill_models(str(p.get("model/path") or ""))
        self.n_ctx.setValue(int(p.get("model/n_ctx")))
        self.n_threads.setValue(int(p.get("model/n_threads")))
        self.n_gpu.setValue(int(p.get("model/n_gpu_layers")))
        self.encoder.setCurrentIndex(max(0, self.encoder.findData(p.get("encoder/device"))))
        self.db.setText(str(p.get("store/url") or ""))
        self.layout_.setCurrentIndex(max(0, self.layout_.findData(p.get("view/layout"))))
        self.speed.setCurrentIndex(max(0, self.speed.findData(float(p.get("view/speed_mm_s")))))
        self.gain.setCurrentIndex(max(0, self.gain.findData(float(p.get("view/gain_mm_mv")))))
        self.half.setChecked(bool(p.get("view/chest_half_gain")))
        self.theme.setCurrentIndex(max(0, self.theme.findData(p.get("view/theme"))))
        self.paper.setCurrentIndex(max(0, self.paper.findData(str(p.get("report/paper_size")))))
        self.deid.setChecked(bool(p.get("report/deidentify")))
        self.user.setText(str(p.get("user/name") or ""))

    def values(self) -> dict:
        return {
            "model/path": self.model.currentData() or "",
            "model/n_ctx": self.n_ctx.value(),
            "model/n_threads": self.n_threads.value(),
            "model/n_gpu_layers": self.n_gpu.value(),
            "encoder/device": self.encoder.currentData(),
            "store/url": self.db.text().strip(),
            "view/layout": self.layout_.currentData(),
            "view/speed_mm_s": float(self.speed.currentData()),
            "view/gain_mm_mv": float(self.gain.currentData()),
            "view/chest_half_gain": self.half.isChecked(),
            "view/theme": self.theme.currentData(),
            "report/paper_size": self.paper.currentData(),
            "report/deidentify": self.deid.isChecked(),
            "user/name": self.user.text().strip(),
        }

    def save(self) -> dict:
        """Persist; returns the keys whose value changed."""
        changed = {}
        for key, value in self.values().items():
            if self.prefs.get(key) != value:
                changed[key] = value
            self.prefs.set(key, value)
        self.prefs.sync()
        return changed

    # -------------------------------------------------------------- actions
    def add_model_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Add a GGUF model", "", "GGUF models (*.gguf);;All files (*)")
        if path:
            self.add_model(path)

    def add_model(self, path: str) -> bool:
        try:
            from ecgchat_desktop.chat.models import add_model

            entry = add_model(path)
        except Exception as exc:  # not a GGUF, missing, unreadable: say which and why
            self.model_error.setText(str(exc))
            return False
        self.model_error.setText("")
        self._fill_models(str(entry.path))
        return True

    def _choose_db(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Database file", self.db.text() or "",
                                              "SQLite database (*.sqlite3 *.db);;All files (*)")
        if path:
            self.db.setText(path)


def show_settings(window) -> dict | None:
    dlg = SettingsDialog(window.prefs, window)
    if dlg.exec() != QDialog.Accepted:
        return None
    changed = dlg.save()
    window.apply_settings(changed)
    if "store/url" in changed:
        QMessageBox.information(window, "Settings", "The new database location is used from the next start.")
    return changed
