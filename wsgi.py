"""WSGI entry point for gunicorn: `gunicorn wsgi:app` (configuration comes from the environment)."""

from plugin import create_app

app = create_app()
