"""The chat panel with the REAL default GGUF model: streamed answer, verdict, citations,
stop, and the conversation stored and shown again when the ECG is reopened."""

from __future__ import annotations

import pytest

from ecgchat_desktop.settings import SAMPLES_DIR
from tests.ui_support import control_noise_ms, start_noise_control

pytestmark = [pytest.mark.gui, pytest.mark.llm, pytest.mark.slow]

SAMPLE = SAMPLES_DIR / "ptbxl-00008" / "00008_hr.hea"

@pytest.fixture()
def window(qtbot, ecgchat_home):
    pytest.importorskip("llama_cpp")
    from ecgchat_desktop.chat.models import ModelNotFoundError, default_model_path
    from ecgchat_desktop.ui.main_window import MainWindow
    from ecgchat_desktop.ui.preferences import Preferences

    try:
        default_model_path()
    except ModelNotFoundError as exc:
        pytest.skip(str(exc))
    win = MainWindow(Preferences(), load_model=True)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    from PySide6.QtCore import QThreadPool

    win.chat_controller.stop()
    QThreadPool.globalInstance().waitForDone(120_000)
    win.chat_controller.shutdown()
    qtbot.wait(10)
    if win.store is not None:
        win.store.close()


def _ready(qtbot, win):
    if win.chat_controller.state != "ready":
        with qtbot.waitSignal(win.chat_controller.modelStatus, timeout=120_000,
                              check_params_cb=lambda state, _t: state in ("ready", "failed")):
            pass
    assert win.chat_controller.state == "ready", win.chat_controller.error
    # Start-up imports (readers, scipy, report) run in a worker and may hold the GIL; wait for them.
    qtbot.waitUntil(lambda: win.store is not None and win.components_ready, timeout=60_000)


def test_streamed_answer_verdict_stop_citations_stored_and_reopened(qtbot, window):
    win = window
    _ready(qtbot, win)
    assert "SmolLM2" in win.chat_panel.model_label.text() and "CPU" in win.chat_panel.model_label.text()
    with qtbot.waitSignal(win.analysisShown, timeout=90_000) as blocker:
        win.open_paths([str(SAMPLE)])
    doc = blocker.args[0]
    if doc.findings is None:
        pytest.skip(f"analysis not available: {doc.analysis_error}")
    tokens = []
    win.chat_controller.token.connect(lambda _s, t: tokens.append(t))
    panel = win.chat_panel
    # Opening the ECG warms the model with its findings before any question is asked.
    qtbot.waitUntil(lambda: panel.key in win.chat_controller._sessions, timeout=60_000)
    assert panel.send_btn.isEnabled()
    panel.input.setText("What is the heart rate?")
    # The window keeps its event loop while the model thinks: a watchdog beside an idle
    # control process that measures the machine's own scheduling noise at the same time.
    from ecgchat_desktop.ui.watchdog import EventLoopWatchdog

    control = start_noise_control()
    dog = EventLoopWatchdog(interval_ms=5)
    dog.start("generation")
    with qtbot.waitSignal(panel.answerShown, timeout=180_000) as answered:
        panel.send()
        # While the model writes, the stop button is live and the input is not blocked.
        assert panel.stop_btn.isEnabled()
    dog.stop()
    noise_ms = control_noise_ms(control)
    assert dog.max_gap_ms < 100.0 + noise_ms, f"GUI blocked {dog.max_gap_ms:.0f} ms while the model wrote"
    answer = answered.args[0]
    assert len(tokens) > 1 and "".join(tokens).strip()            # streamed, token by token
    assert answer.claims.verdict in ("verified", "unsupported", "contradicted")
    shown = panel.view.toPlainText()
    assert "What is the heart rate?" in shown
    label = {"verified": "verified against", "unsupported": "do not support", "contradicted": "contradicts"}
    if answer.claims.verdict == "verified" and answer.claims.checked == 0:
        assert "no checkable claim" in shown     # nothing checked is never shown as trusted
    else:
        assert label[answer.claims.verdict] in shown
    assert not panel.stop_btn.isEnabled()
    # Stored with its claim check...
    qtbot.waitUntil(lambda: bool(win.store.chats_for_ecg(doc.record_id)), timeout=10_000)
    chat = win.store.chat_with_messages(win.store.chats_for_ecg(doc.record_id)[0].id)
    roles = [m.role for m in chat.messages]
    assert roles == ["user", "assistant"]
    assert chat.messages[1].claims["claims"]["verdict"] == answer.claims.verdict
    # Stop: the next answer is cancelled after its first token; citations open their passage.
    first = []
    win.chat_controller.token.connect(lambda _s, t: first.append(t))
    with qtbot.waitSignal(panel.answerShown, timeout=180_000) as answered:
        assert panel.ask("Explain the findings of this ECG in detail.")
        qtbot.waitUntil(lambda: len(first) >= 1, timeout=120_000)
        win.act_stop_answer.trigger()
    answer = answered.args[0]
    assert answer.finish_reason == "cancelled"
    assert "Stopped by the user" in panel.view.toPlainText()
    assert answer.citations, "the knowledge base gave no passage for a findings question"
    assert "passage:" in panel.view.toHtml()  # citations are links
    pid = answer.citations[0]["id"]
    dlg = panel.open_passage(pid)
    text = dlg.findChild(type(panel.view), "passageText").toPlainText()
    assert answer.citations[0]["title"] in text and len(text) > 40
    dlg.close()
    # The conversation is shown again when the ECG is reopened from the database.
    panel.set_ecg("other", None)
    assert "What is the heart rate?" not in panel.view.toPlainText()
    with qtbot.waitSignal(win.analysisShown, timeout=30_000):
        win.open_record(doc.record_id)
    qtbot.waitUntil(lambda: "What is the heart rate?" in panel.view.toPlainText(), timeout=10_000)
