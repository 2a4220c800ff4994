"""The Flask/Socket.IO shell: the extension state, the namespace and its events, the
blueprints, the handler runner, persistence wiring, scale-out, contexts for plain views."""
