"""The baseline for benchmarks/intake.py: a Flask endpoint that answers 202 and does nothing else.

Run as a script, it is served by waitress with exactly the settings `amazon-triage serve` uses. An
optional fourth argument makes each request burn that many milliseconds of CPU first (a calibration:
what a given amount of Python work per request costs under the same server).
"""

import sys
import time

from flask import Flask

app = Flask(__name__)
WORK_SECONDS = 0.0


@app.post("/webhooks/zendesk")
def accept() -> tuple[str, int]:
    if WORK_SECONDS:
        end = time.thread_time() + WORK_SECONDS
        while time.thread_time() < end:
            pass
    return '{"status": "accepted"}', 202


if __name__ == "__main__":
    from plugin.serve import make_server

    port, threads, idle = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    WORK_SECONDS = float(sys.argv[4]) / 1000 if len(sys.argv) > 4 else 0.0
    make_server(app, "127.0.0.1", port, threads, idle).run()
