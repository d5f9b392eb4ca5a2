"""What the benches (and the memory test) share: a static key on the enterprise plan (no
hourly limit to run into), and a sampler of one process's peak RSS."""

from __future__ import annotations

import secrets
import threading

import psutil

BENCH_KEY = secrets.token_urlsafe(24)
BENCH_ENV = {"API_KEY": BENCH_KEY, "API_KEY_PLAN": "enterprise"}
BENCH_HEADERS = {"X-API-Key": BENCH_KEY}


class PeakRss(threading.Thread):
    """Samples one process's RSS every 50 ms until `done` is set."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.process, self.peak, self.done = psutil.Process(pid), 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            self.peak = max(self.peak, self.process.memory_info().rss)


def bare_run_ms(session, feeds: dict, runs: int = 10) -> float:
    """The median milliseconds of one onnxruntime call (after a warm-up call): the baseline a
    pipeline's per-step time is divided by."""
    import statistics
    import time

    session.run(None, feeds)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000
