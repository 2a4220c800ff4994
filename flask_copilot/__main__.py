"""``python -m flask_copilot run APP --mode gevent`` (same as ``flask-copilot run``)."""

from .cli.commands import main

main()
