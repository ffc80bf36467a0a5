"""The widget on a partner's page: requests until its form is usable, bytes on the wire, time.

`make bench` calls `measure` against the Undersign server it runs; by hand:

    .venv/bin/python bench/widget.py http://127.0.0.1:8000 SLUG [--lang ru] [--runs 8] [--slow]

A page on another origin (a second local server) holds the README's snippet; headless
Chromium (Debian's, as the tests use) loads it with a cold cache each time and waits
until the widget's email field and button are there. `--slow` emulates DevTools'
"Slow 4G" (150 ms latency, 1.6 Mbit/s down).
"""

from __future__ import annotations

import argparse
import statistics
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
USABLE = """() => {
  const root = document.querySelector("undersign-petition").shadowRoot;
  const email = root && root.querySelector("input[type=email]");
  return Boolean(email && !email.disabled && root.querySelector("button[type=submit]"));
}"""


def _partner(service: str, slug: str, lang: str) -> ThreadingHTTPServer:
    page = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A partner</title>'
        f'<script src="{service}/widget.js" defer></script></head><body>'
        f'<undersign-petition petition="{slug}" lang="{lang}"></undersign-petition></body></html>'
    ).encode()

    class Partner(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Partner)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _keep(into: list[Any], response: Any) -> None:
    into.append(response)


def measure(
    service: str, slug: str, lang: str = "ru", runs: int = 8, slow: bool = False
) -> dict[str, Any]:
    """Load a partner page `runs` times (after one uncounted); return what the last load fetched."""
    partner = _partner(service, slug, lang)
    url = f"http://127.0.0.1:{partner.server_address[1]}/"
    times: list[float] = []
    fetched: list[dict[str, Any]] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            for run in range(runs + 1):
                context = browser.new_context()  # a cold cache each time
                page = context.new_page()
                if slow:
                    devtools = context.new_cdp_session(page)
                    devtools.send("Network.enable")
                    devtools.send(
                        "Network.emulateNetworkConditions",
                        {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8,
                         "uploadThroughput": 750e3 / 8},
                    )  # fmt: skip
                responses: list[Any] = []
                page.on("response", partial(_keep, responses))
                page.goto(url)
                page.wait_for_function(USABLE)
                if run:
                    times.append(float(page.evaluate("performance.now()")))
                fetched = [
                    {
                        "url": response.url.replace(service, ""),
                        "encoding": response.header_value("content-encoding"),
                        "cache": response.header_value("cache-control"),
                        "sent": response.request.sizes()["responseBodySize"],
                        "decoded": len(response.body()),
                    }
                    for response in list(responses)
                ]
                context.close()
            browser.close()
    finally:
        partner.shutdown()
    return {
        "requests": len(fetched),
        "fetched": fetched,
        "usable_ms_median": statistics.median(times),
        "sent_bytes": sum(f["sent"] for f in fetched if f["url"] != url),
        "decoded_bytes": sum(f["decoded"] for f in fetched if f["url"] != url),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("service")
    parser.add_argument("slug")
    parser.add_argument("--lang", default="ru")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--slow", action="store_true")
    options = parser.parse_args()
    found = measure(options.service, options.slug, options.lang, options.runs, options.slow)
    print(
        f"{found['requests']} requests until the form is usable; median "
        f"{found['usable_ms_median']:.0f} ms over {options.runs} cold loads"
    )
    for f in found["fetched"]:
        print(f"  {f['url'][:60]:60} {f['encoding'] or '-':5} {f['sent']:7} B sent, "
              f"{f['decoded']:7} B decoded, {f['cache'] or ''}")  # fmt: skip


if __name__ == "__main__":
    main()
