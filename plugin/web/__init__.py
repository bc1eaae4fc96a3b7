"""The Flask adapter: webhook intake, health, and (later) the admin and agent pages."""
