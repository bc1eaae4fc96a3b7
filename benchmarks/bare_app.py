"""The baseline for benchmarks/intake.py: a Flask endpoint that answers 202 and does nothing else.

Run as a script, it is served by waitress with exactly the settings `amazon-triage serve` uses.
"""

import sys

from flask import Flask

app = Flask(__name__)


@app.post("/webhooks/zendesk")
def accept() -> tuple[str, int]:
    return '{"status": "accepted"}', 202


if __name__ == "__main__":
    from plugin.serve import make_server

    port, threads, idle = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    make_server(app, "127.0.0.1", port, threads, idle).run()
