"""Benchmarks of flask_copilot against a bare Flask-SocketIO floor: ``python -m bench``."""
