"""The baseline for benchmarks/intake.py: a Flask endpoint that answers 202 and does nothing else."""

from flask import Flask

app = Flask(__name__)


@app.post("/webhooks/zendesk")
def accept() -> tuple[str, int]:
    return '{"status": "accepted"}', 202
