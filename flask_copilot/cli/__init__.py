"""Command line: ``flask copilot …`` (a Flask command group) and ``flask-copilot run``."""

from .commands import copilot_cli, main

__all__ = ["copilot_cli", "main"]
