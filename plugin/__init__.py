"""amazon-triage: recognise Amazon seller-account errors in Zendesk tickets and triage them."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def create_app(config: dict[str, Any] | None = None, *, settings: Any = None, announce: bool = True) -> Any:
    """Build the Flask app; imported lazily so the pure core never loads Flask."""
    from .web.app import create_app as _create_app

    return _create_app(config, settings=settings, announce=announce)
