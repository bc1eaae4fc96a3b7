"""Logging set up once per process, whoever asks first (the app factory, the worker, the CLI)."""

from __future__ import annotations

import logging

_done = False


def configure_logging(level: int = logging.INFO) -> None:
    global _done
    if _done:
        return
    _done = True
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
