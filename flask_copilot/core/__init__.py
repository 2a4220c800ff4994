"""The pure core: chat sessions (sequence, replay, ordering, waits) and the hook registry.
No Flask, no Socket.IO, no I/O: tested without a server."""
