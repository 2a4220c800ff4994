"""What handlers call: ``context``/``user_session``, messages, asks, page functions,
actions. Needs only the current session (``core``), never the Flask extension."""
