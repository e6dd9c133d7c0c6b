"""Helpers shared by the GUI timing tests."""
from __future__ import annotations

import subprocess
import sys

# An idle loop with the same 5 ms tick as the event-loop watchdog, in its own process, until
# told to stop; it prints the worst lateness: the machine's own scheduling noise.
_CONTROL = """
import sys, threading, time
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
worst, last = 0.0, time.perf_counter()
while not stop.is_set():
    time.sleep(0.005)
    now = time.perf_counter()
    worst = max(worst, (now - last) * 1000.0 - 5.0)
    last = now
print(worst)
"""


def start_noise_control() -> subprocess.Popen:
    """Start measuring the machine's scheduling noise beside the code under test."""
    return subprocess.Popen([sys.executable, "-c", _CONTROL], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)


def control_noise_ms(control: subprocess.Popen) -> float:
    """Stop the control process; its worst lateness in ms."""
    return float(control.communicate("stop\n", timeout=30)[0].strip() or 0.0)
