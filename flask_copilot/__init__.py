"""flask_copilot: an embeddable AI copilot for any website, served by Flask."""

from .auth import authenticate_user, create_jwt
from .config import ConfigError
from .context import context, init_http_context, init_ws_context, user_session
from .errors import (
    AskTimeout,
    CopilotError,
    CopilotFunctionError,
    CopilotFunctionTimeout,
    NoContextError,
    SessionNotFound,
)
from .extension import Copilot
from .interaction import Action, AskActionMessage, AskUserMessage, CopilotFunction
from .lookup import WebsocketSession
from .messages import ErrorMessage, Message
from .store import FeedbackRecord as Feedback
from .user import User

__all__ = [
    "Action",
    "AskActionMessage",
    "AskTimeout",
    "AskUserMessage",
    "ConfigError",
    "Copilot",
    "CopilotError",
    "CopilotFunction",
    "CopilotFunctionError",
    "CopilotFunctionTimeout",
    "ErrorMessage",
    "Feedback",
    "Message",
    "NoContextError",
    "SessionNotFound",
    "User",
    "WebsocketSession",
    "authenticate_user",
    "context",
    "create_jwt",
    "init_http_context",
    "init_ws_context",
    "user_session",
]
__version__ = "0.1.0"
