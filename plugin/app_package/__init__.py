"""The Zendesk sidebar app as an installable package: build it for one service URL, validate it as Zendesk does."""
