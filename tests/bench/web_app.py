"""Issue 17's figures for the web app: the first load's size (HTML + JS + CSS + icon, as sent,
gzip-compressed, and uncompressed) and its time to interactive in headless Chromium (Debian's
chromium through Playwright), cold (a fresh profile each time) and warm (a reload: the
versioned assets come from the cache, the page revalidates with its ETag). The baseline in the
same run is a navigation to GET /health through the same Envoy and gateway.

Time to interactive = the page's `backdrop-interactive` mark (main.js, once every view is
wired and the first view shown), from navigation start."""

from __future__ import annotations

import pathlib
import statistics
import sys
import tempfile

from deploy.local.mesh import Mesh, Ports
from tests.bench.common import BENCH_ENV
from tests.e2e.test_web_app import CHROMIUM, FLAGS

RUNS = 10
RESOURCES = """() => [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')]
  .map(e => ({name: e.name, sent: e.encodedBodySize, size: e.decodedBodySize, transfer: e.transferSize}))"""
READY = "() => performance.getEntriesByName('backdrop-interactive')[0].startTime"
LOADED = "() => performance.getEntriesByType('navigation')[0].loadEventEnd"


def measure(base_url: str, workdir: pathlib.Path) -> None:
    from playwright.sync_api import sync_playwright

    cold, warm, baseline, first = [], [], [], None
    with sync_playwright() as playwright:
        for run in range(RUNS):
            context = playwright.chromium.launch_persistent_context(
                str(workdir / f"profile-{run}"), executable_path=CHROMIUM, headless=True, args=FLAGS
            )
            page = context.new_page()
            page.goto(f"{base_url}/health")
            baseline.append(page.evaluate(LOADED))
            page.goto(f"{base_url}/")
            page.wait_for_selector("body[data-ready=true]")
            cold.append(page.evaluate(READY))
            first = first or page.evaluate(RESOURCES)
            page.reload()
            page.wait_for_selector("body[data-ready=true]")
            warm.append(page.evaluate(READY))
            context.close()
    sent = sum(entry["sent"] for entry in first)
    size = sum(entry["size"] for entry in first)
    print(f"first load: {len(first)} files, {sent / 1024:.1f} KiB gzip-compressed ({size / 1024:.1f} KiB uncompressed)")
    for entry in first:
        print(f"  {entry['name'].split('/', 3)[-1] or '/':34} {entry['sent']:7d} B sent  {entry['size']:7d} B")
    base = statistics.median(baseline)
    print(f"median of {RUNS} runs, headless Chromium on this machine, loopback")
    print(f"{'GET /health navigation (baseline)':44} {base:7.1f} ms  1.00x")
    for name, times in (("time to interactive, cold (fresh profile)", cold), ("time to interactive, warm (reload)", warm)):
        median = statistics.median(times)
        print(f"{name:44} {median:7.1f} ms  {median / base:.2f}x")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = pathlib.Path(tmp)
        # The bench's own loopback address is not counted by the open routes' per-address limit.
        mesh = Mesh(workdir / "mesh", ports=Ports.free(), sink=lambda name, line: None,
                    env={**BENCH_ENV, "BILLING_EXEMPT_ADDRESSES": "127.0.0.1"})
        mesh.start(timeout=180)
        try:
            measure(mesh.base_url, workdir)
        finally:
            mesh.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
