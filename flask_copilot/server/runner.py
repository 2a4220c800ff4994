"""Runs the app's handlers for a session: context, app context, stop and crash handling."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import Flask

from ..chat.context import bind, unbind
from ..chat.messages import ErrorMessage
from ..core.hooks import Handler, HookRegistry
from ..core.session import ChatSession, Job, TaskState
from ..errors import StopRequested

logger = logging.getLogger("flask_copilot")


class HandlerRunner:
    def __init__(self, app: Flask, hooks: HookRegistry) -> None:
        self._app = app
        self._hooks = hooks

    def job(
        self,
        session: ChatSession,
        hook: str,
        *args: Any,
        as_task: bool = True,
        message_id: str | None = None,
    ) -> Job:
        """A job that calls ``hook(*args)`` for ``session`` when the session's queue
        reaches it.

        ``as_task``: announce it (``task_start``/``task_end``, the typing indicator)
        and make it stoppable.
        """

        handler = self._hooks.get(hook)
        if handler is None:
            return lambda: None
        return self.handler_job(
            session, handler, *args, as_task=as_task, message_id=message_id, name=hook
        )

    def handler_job(
        self,
        session: ChatSession,
        handler: Handler,
        *args: Any,
        as_task: bool = True,
        message_id: str | None = None,
        name: str = "handler",
    ) -> Job:
        """Like :meth:`job`, for a handler given directly (action callbacks)."""

        def run() -> None:
            task = TaskState(message_id=message_id) if as_task else None
            session.current_task = task
            tokens = bind(session, task)
            try:
                with self._app.app_context():
                    if as_task:
                        session.emit("task_start", {"messageId": message_id})
                    try:
                        handler(*args)
                    except StopRequested:
                        self._after_stop(session)
                    except Exception as exc:  # noqa: BLE001 (a crash must not end the session)
                        self._report_crash(session, name, exc)
                    finally:
                        session.current_task = None
                        if as_task:
                            session.emit("task_end", {"messageId": message_id})
            finally:
                unbind(tokens)

        return run

    def _after_stop(self, session: ChatSession) -> None:
        on_stop = self._hooks.get("on_stop")
        tokens = bind(session, None)
        try:
            if on_stop is not None:
                on_stop()
        except Exception:
            logger.exception("on_stop raised for session %s", session.id)
        finally:
            unbind(tokens)

    def _report_crash(self, session: ChatSession, hook: str, exc: Exception) -> None:
        ref = secrets.token_hex(4)
        logger.error(
            "Handler %s crashed in session %s (ref %s)", hook, session.id, ref, exc_info=exc
        )
        detail = f" ({type(exc).__name__}: {exc})" if self._app.debug else ""
        tokens = bind(session, None)
        try:
            ErrorMessage(f"Sorry, something went wrong{detail}. Reference: {ref}.").send()
        except Exception:
            logger.exception("could not report the crash to session %s", session.id)
        finally:
            unbind(tokens)
