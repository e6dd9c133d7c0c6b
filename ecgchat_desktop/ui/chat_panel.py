"""Chat beside the tracing: streamed answers from the local model, the claim-check verdict
on each, citations that open their knowledge passage, a stop button, suggested questions.

The model lives on its own thread (`chat.engine.EngineWorker`); a question runs as one job
there. Tokens cross to the GUI thread through a queued Qt signal, so typing, scrolling and
the tracing stay responsive while the model writes. Conversations are stored per ECG and
shown again when the ECG is reopened.
"""

from __future__ import annotations

import html
import os
import threading

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ecgchat_desktop.ui.workers import run_in_background

VERDICT_STYLE = {
    "verified": ("#1b7f3b", "✓ verified against the measurements"),
    "unsupported": ("#b36b00", "? contains claims the measurements do not support"),
    "contradicted": ("#b00020", "✗ contradicts the measurements"),
}
DEFAULT_QUESTIONS = (
    "Summarise this ECG.",
    "What is the rhythm and the heart rate?",
    "Is the QTc prolonged?",
    "Is there evidence of ischaemia or infarction?",
)


class _TokenBridge(QObject):
    token = Signal(int, str)   # (question serial, text)


class ChatController(QObject):
    """The model, one conversation per ECG, and the database: no widgets."""

    modelStatus = Signal(str, str)          # (state: loading|ready|failed, text)
    token = Signal(int, str)
    answered = Signal(int, object)          # (serial, Answer)
    failed = Signal(int, str)

    def __init__(self, model_settings: dict | None = None):
        super().__init__()
        self.worker = None
        self.model_info: dict = {}
        self.state = "idle"
        self.error: str | None = None
        self._bridge = _TokenBridge()
        self._bridge.token.connect(self.token)
        self._sessions: dict[object, object] = {}
        self._serial = 0
        self._cancel: threading.Event | None = None
        self._warm_pending = None  # (key, findings) to prefill once the model is loaded
        self.model_settings = dict(model_settings or {})

    # -------------------------------------------------------------- model
    def load_model(self) -> None:
        """Start loading the GGUF on the model's own thread; report when it is ready."""
        self.state = "loading"
        path = self.model_settings.get("path") or None
        self.modelStatus.emit("loading", "Language model: loading…")

        def work():
            from ecgchat_desktop.chat.engine import EngineSettings, EngineWorker

            # "Automatic" threads in the window: every core but one, so that the model (prompt
            # evaluation included) never starves the GUI thread of a core.
            threads = int(self.model_settings.get("n_threads") or 0) or max(1, (os.cpu_count() or 2) - 1)
            s = EngineSettings(model_path=path, n_ctx=int(self.model_settings.get("n_ctx") or 4096),
                               n_threads=threads,
                               n_gpu_layers=int(self.model_settings.get("n_gpu_layers", -1)))
            worker = EngineWorker(s)
            engine = worker.ready(timeout=600)
            return worker, engine.info()

        run_in_background(work, on_done=self._on_loaded, on_error=self._on_load_failed, owner=self)

    def _on_loaded(self, result) -> None:
        self.worker, self.model_info = result
        self.state = "ready"
        self.modelStatus.emit("ready", f"Model: {self.model_info.get('model')} · {self.device_short()}")
        pending, self._warm_pending = self._warm_pending, None
        if pending is not None:
            self.warm(*pending)

    def warm(self, key, findings) -> None:
        """Evaluate the findings part of the prompt while the physician reads the tracing, so
        the first answer starts in about half a second instead of several seconds."""
        if findings is None:
            return
        if self.worker is None:
            self._warm_pending = (key, findings)
            return
        worker = self.worker

        def on_model_thread(engine):
            from ecgchat_desktop.chat.session import ChatSession

            session = self._sessions.get(key)
            if session is None or session.findings is not findings:
                session = ChatSession(findings, engine)
                self._sessions[key] = session
            return session.prefill()

        # A failed warm-up only costs speed; the question itself reports real errors.
        run_in_background(worker.call, on_model_thread, on_error=lambda _exc: None, owner=self)

    def _on_load_failed(self, exc) -> None:
        self.state = "failed"
        self.error = f"{type(exc).__name__}: {exc}"
        self.modelStatus.emit("failed", f"Language model not available: {self.error}")

    def device_short(self) -> str:
        dev = str(self.model_info.get("device", ""))
        return "GPU" if dev.startswith("GPU") else ("CPU" if dev else "?")

    def shutdown(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
        if self.worker is not None:
            self.worker.shutdown(timeout=5)
            self.worker = None

    # -------------------------------------------------------------- asking
    def restore_history(self, key, findings, turns: list[tuple[str, str]]) -> None:
        """Conversation reopened from the database: the model sees its earlier turns."""
        self._pending_history = (key, findings, turns)

    def ask(self, key, findings, question: str, store=None, record_id: int | None = None,
            user: str | None = None, chat_id_holder: dict | None = None) -> int:
        """Queue a question; returns its serial. Tokens, then `answered` or `failed`, follow."""
        if self.worker is None:
            raise RuntimeError("the language model is not loaded")
        self._serial += 1
        serial = self._serial
        cancel = threading.Event()
        self._cancel = cancel
        bridge = self._bridge
        pending = getattr(self, "_pending_history", None)

        def on_model_thread(engine):
            from ecgchat_desktop.chat.grounding import Turn
            from ecgchat_desktop.chat.session import ChatSession

            session = self._sessions.get(key)
            if session is None or session.findings is not findings:
                session = ChatSession(findings, engine)
                self._sessions[key] = session
            if pending is not None and pending[0] == key and not session.history:
                # A conversation reopened from the database (the session may be a warmed one).
                session.history = [Turn(q, a) for q, a in pending[2]]
            return session.ask(question, on_token=lambda t: bridge.token.emit(serial, t), cancel=cancel)

        def work():
            answer = self.worker.call(on_model_thread)
            if store is not None and record_id is not None and answer.finish_reason != "cancelled":
                holder = chat_id_holder if chat_id_holder is not None else {}
                if holder.get("chat_id") is None:
                    holder["chat_id"] = store.start_chat(record_id, answer.model, user=user)
                store.add_message(holder["chat_id"], "user", question)
                d = answer.to_dict()
                store.add_message(holder["chat_id"], "assistant", answer.answer, model=answer.model,
                                  claims={"claims": d["claims"], "citations": d["citations"],
                                          "device": d["device"], "notice": d["notice"]})
            return answer

        run_in_background(work, on_done=lambda a, s=serial: self.answered.emit(s, a),
                          on_error=lambda e, s=serial: self.failed.emit(s, f"{type(e).__name__}: {e}"),
                          owner=self)
        return serial

    def stop(self) -> None:
        if self._cancel is not None:
            self._cancel.set()


class PassageDialog(QDialog):
    def __init__(self, parent, title: str, body: str, source: str):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(560, 420)
        lay = QVBoxLayout(self)
        text = QTextBrowser()
        text.setObjectName("passageText")
        text.setHtml(f"<h3>{html.escape(title)}</h3><p style='white-space: pre-wrap'>{html.escape(body)}</p>"
                     f"<p><i>Source: {html.escape(source)}</i></p>")
        lay.addWidget(text)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)


class ChatPanel(QWidget):
    """Conversation view for the ECG on screen."""

    answerShown = Signal(object)       # Answer
    passageOpened = Signal(str)        # passage id

    def __init__(self, controller: ChatController, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.findings = None
        self.key = None
        self.store = None
        self.record_id = None
        self.user = None
        self._chat = {"chat_id": None}
        self._entries: list[dict] = []   # {"role", "text", "answer"}
        self._serial = None
        self._streaming_text = ""
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.model_label = QLabel("Language model: not loaded")
        self.model_label.setObjectName("modelLabel")
        self.model_label.setWordWrap(True)
        lay.addWidget(self.model_label)
        self.view = QTextBrowser()
        self.view.setObjectName("chatView")
        self.view.setOpenLinks(False)
        self.view.anchorClicked.connect(self._on_link)
        lay.addWidget(self.view, 1)
        # 2 x 2 grid of short buttons: long questions must not widen the panel.
        self.suggest_row = QGridLayout()
        self.suggest_row.setSpacing(4)
        lay.addLayout(self.suggest_row)
        self.suggest_buttons: list[QPushButton] = []
        row = QHBoxLayout()
        self.input = QLineEdit()
        self.input.setObjectName("chatInput")
        self.input.setPlaceholderText("Ask about this ECG… (Enter)")
        self.input.returnPressed.connect(self.send)
        self.send_btn = QPushButton("Ask")
        self.send_btn.clicked.connect(self.send)
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setObjectName("stopButton")
        self.stop_btn.setToolTip("Stop the answer being written (Esc)")
        self.stop_btn.setEnabled(False)
        self.stop_btn.clicked.connect(self.stop)
        row.addWidget(self.input, 1)
        row.addWidget(self.send_btn)
        row.addWidget(self.stop_btn)
        lay.addLayout(row)
        self.notice = QLabel("<small>Model text is a draft, checked claim by claim against the program's "
                             "measurements; it is never a confirmed diagnosis.</small>")
        self.notice.setWordWrap(True)
        lay.addWidget(self.notice)
        controller.modelStatus.connect(self._on_model_status)
        controller.token.connect(self._on_token)
        controller.answered.connect(self._on_answered)
        controller.failed.connect(self._on_failed)
        self._set_enabled()

    # -------------------------------------------------------------- state
    def _on_model_status(self, state: str, text: str) -> None:
        self.model_label.setText(text)
        self.model_label.setToolTip(str(self.controller.model_info.get("device", self.controller.error or "")))
        self._set_enabled()

    def _set_enabled(self) -> None:
        ready = self.controller.state == "ready" and self.findings is not None
        busy = self._serial is not None
        self.send_btn.setEnabled(ready and not busy)
        self.input.setEnabled(self.findings is not None)
        for b in self.suggest_buttons:
            b.setEnabled(ready and not busy)
        self.stop_btn.setEnabled(busy)
        if self.findings is None:
            self.input.setPlaceholderText("Chat needs the analysis of an ECG: open one first.")
        elif self.controller.state != "ready":
            self.input.setPlaceholderText("The language model is loading…" if self.controller.state == "loading"
                                          else "The language model is not available.")
        else:
            self.input.setPlaceholderText("Ask about this ECG… (Enter)")

    def set_ecg(self, key, findings, store=None, record_id=None, user=None) -> None:
        """Show the conversation of this ECG (reloaded from the database when stored)."""
        if key == self.key and findings is self.findings and key is not None:
            self._render()  # the same ECG shown again (theme, confirmation): keep the conversation
            return
        if self._serial is not None:
            self.controller.stop()
            self._serial = None
        self.key, self.findings = key, findings
        self.store, self.record_id, self.user = store, record_id, user
        self._chat = {"chat_id": None}
        self._entries = []
        self._set_suggestions(findings)
        self.controller.warm(key, findings)
        if store is not None and record_id is not None:
            run_in_background(self._load_history, store, record_id, on_done=self._on_history, owner=self)
        self._render()
        self._set_enabled()

    @staticmethod
    def _load_history(store, record_id):
        chats = store.chats_for_ecg(record_id)
        if not chats:
            return record_id, None
        latest = max(chats, key=lambda c: c.started_at)
        return record_id, store.chat_with_messages(latest.id)

    def _on_history(self, result) -> None:
        record_id, chat = result
        if record_id != self.record_id or chat is None:
            return
        self._chat["chat_id"] = chat.id
        entries, turns, last_q = [], [], None
        for msg in chat.messages:
            claims = msg.claims if isinstance(msg.claims, dict) else None
            entries.append({"role": msg.role, "text": msg.text, "stored": claims, "model": msg.model_name})
            if msg.role == "user":
                last_q = msg.text
            elif msg.role == "assistant" and last_q is not None:
                turns.append((last_q, msg.text))
                last_q = None
        self._entries = entries + self._entries
        self.controller.restore_history(self.key, self.findings, turns)
        self._render()

    def _set_suggestions(self, findings) -> None:
        for b in self.suggest_buttons:
            self.suggest_row.removeWidget(b)
            b.deleteLater()
        self.suggest_buttons = []
        questions = list(DEFAULT_QUESTIONS[:3])
        if findings is not None:
            for s in findings.statements:
                if s.severity in ("critical", "abnormal"):
                    questions.insert(0, f"Why does the program say '{s.text}'?")
                    break
        for i, q in enumerate(questions[:4]):
            b = QPushButton(q if len(q) < 30 else q[:28] + "…")
            b.setToolTip(q)
            b.setProperty("question", q)
            b.setMinimumWidth(40)
            b.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
            b.clicked.connect(lambda _c=False, text=q: self.ask(text))
            self.suggest_row.addWidget(b, i // 2, i % 2)
            self.suggest_buttons.append(b)

    # -------------------------------------------------------------- asking
    def send(self) -> None:
        text = self.input.text().strip()
        if text:
            self.ask(text)

    def ask(self, question: str) -> bool:
        if self.findings is None or self.controller.state != "ready" or self._serial is not None:
            return False
        self.input.clear()
        self._entries.append({"role": "user", "text": question})
        self._entries.append({"role": "assistant", "text": "", "streaming": True})
        self._streaming_text = ""
        self._serial = self.controller.ask(self.key, self.findings, question, self.store, self.record_id,
                                           self.user, self._chat)
        self._render()
        self._set_enabled()
        return True

    def stop(self) -> None:
        self.controller.stop()

    def _on_token(self, serial: int, text: str) -> None:
        if serial != self._serial:
            return
        self._streaming_text += text
        cursor = self.view.textCursor()
        cursor.movePosition(QTextCursor.End)
        cursor.insertText(text)
        self.view.setTextCursor(cursor)
        self.view.ensureCursorVisible()

    def _on_answered(self, serial: int, answer) -> None:
        if serial != self._serial:
            return
        self._serial = None
        if self._entries and self._entries[-1].get("streaming"):
            self._entries[-1] = {"role": "assistant", "text": answer.answer, "answer": answer}
        self._render()
        self._set_enabled()
        self.answerShown.emit(answer)

    def _on_failed(self, serial: int, message: str) -> None:
        if serial != self._serial:
            return
        self._serial = None
        if self._entries and self._entries[-1].get("streaming"):
            self._entries[-1] = {"role": "error", "text": f"The model could not answer: {message}"}
        self._render()
        self._set_enabled()

    # -------------------------------------------------------------- drawing
    def _render(self) -> None:
        parts = []
        if self.findings is None:
            parts.append("<p><i>Open an ECG: the chat answers about the tracing on screen, grounded on the "
                         "program's measurements.</i></p>")
        for e in self._entries:
            if e["role"] == "user":
                parts.append(f"<p style='margin-top:10px'><b>You:</b> {html.escape(e['text'])}</p>")
            elif e["role"] == "error":
                parts.append(f"<p style='color:#b00020'>{html.escape(e['text'])}</p>")
            elif e.get("streaming"):
                parts.append("<p><b>Model</b> <small>(writing…)</small>:<br>")
            else:
                parts.append(self._answer_html(e))
        self.view.setHtml("".join(parts))
        if self._entries and self._entries[-1].get("streaming") and self._streaming_text:
            cursor = self.view.textCursor()
            cursor.movePosition(QTextCursor.End)
            cursor.insertText(self._streaming_text)
        self.view.moveCursor(QTextCursor.End)
        self.view.ensureCursorVisible()

    def _answer_html(self, e: dict) -> str:
        answer = e.get("answer")
        if answer is not None:
            d = answer.to_dict()
            verdict, claims, citations = d["claims"]["verdict"], d["claims"], d["citations"]
            model = f"{answer.model} · {self.controller.device_short()}"
            cancelled = answer.finish_reason == "cancelled"
        else:  # reloaded from the database
            stored = e.get("stored") or {}
            claims = stored.get("claims") or {}
            verdict = claims.get("verdict", "unsupported")
            citations = stored.get("citations") or []
            model = e.get("model") or "model"
            cancelled = False
        color, label = VERDICT_STYLE.get(verdict, ("#555555", verdict))
        if verdict == "verified" and not claims.get("checked"):
            # Nothing in the text could be checked: do not show it as trusted.
            color, label = "#555555", "no checkable claim — read as unverified model text"
        out = [f"<p><b>Model</b> <small>({html.escape(model)})</small>:<br>"
               f"{html.escape(e['text']).replace(chr(10), '<br>')}</p>"]
        if cancelled:
            out.append("<p><small><i>Stopped by the user.</i></small></p>")
        flagged = (claims.get("unsupported") or []) + [c for c in (claims.get("contradicted") or [])
                                                      if c not in (claims.get("unsupported") or [])]
        out.append(f"<p style='color:{color}'><b>{html.escape(label)}</b> "
                   f"<small>({claims.get('checked', 0)} claim(s) checked)</small>")
        for c in flagged[:6]:
            out.append(f"<br><small>• “{html.escape(str(c.get('text', '')))}”: {html.escape(str(c.get('reason', '')))}"
                       "</small>")
        out.append("</p>")
        if citations:
            links = []
            for c in citations:
                url = QUrl()
                url.setScheme("passage")
                url.setPath(str(c.get("id")))
                links.append(f"<a href='{url.toString()}'>[{c.get('n')}] {html.escape(str(c.get('title')))}</a>")
            out.append("<p><small>Sources: " + " · ".join(links) + "</small></p>")
        return "".join(out)

    def _on_link(self, url: QUrl) -> None:
        if url.scheme() != "passage":
            return
        pid = url.path()
        self.passageOpened.emit(pid)
        self.open_passage(pid)

    def open_passage(self, pid: str) -> PassageDialog | None:
        try:
            from ecgchat_desktop.chat.knowledge import load_knowledge

            kb = load_knowledge()
            passage = next((p for p in kb.passages if p.id == pid), None)
        except Exception as exc:  # knowledge files missing or malformed
            passage, err = None, str(exc)
        else:
            err = "passage not found"
        if passage is None:
            dlg = PassageDialog(self, pid, f"The knowledge passage could not be opened: {err}", "")
        else:
            dlg = PassageDialog(self, passage.title, passage.text, passage.source)
        dlg.setObjectName("passageDialog")
        dlg.setAttribute(Qt.WA_DeleteOnClose)
        dlg.open()
        self.last_passage_dialog = dlg
        return dlg
