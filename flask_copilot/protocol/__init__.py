"""The wire protocol: marshmallow schemas for every event (the single source) and the
generator of ``docs/protocol.md``."""
