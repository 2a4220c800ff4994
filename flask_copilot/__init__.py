"""flask_copilot: an embeddable AI copilot for any website, served by Flask."""

from .chat.actions import Action
from .chat.asks import AskActionMessage, AskFileMessage, AskUserMessage
from .chat.context import context, user_session
from .chat.elements import Audio, Element, File, Image, Pdf, Text, Video
from .chat.functions import CopilotFunction
from .chat.messages import ErrorMessage, Message
from .chat.steps import Step, step
from .config import ConfigError
from .errors import (
    AskTimeout,
    CopilotError,
    CopilotFunctionDeclined,
    CopilotFunctionError,
    CopilotFunctionTimeout,
    NoContextError,
    SessionNotFound,
)
from .extension import Copilot
from .server.contexts import init_http_context, init_ws_context
from .server.http_auth import authenticate_user, create_jwt
from .server.lookup import WebsocketSession
from .store import FeedbackRecord as Feedback
from .user import User

__all__ = [
    "Action",
    "AskActionMessage",
    "AskFileMessage",
    "AskTimeout",
    "AskUserMessage",
    "Audio",
    "ConfigError",
    "Copilot",
    "CopilotError",
    "CopilotFunction",
    "CopilotFunctionDeclined",
    "CopilotFunctionError",
    "CopilotFunctionTimeout",
    "Element",
    "ErrorMessage",
    "Feedback",
    "File",
    "Image",
    "Message",
    "NoContextError",
    "Pdf",
    "SessionNotFound",
    "Step",
    "Text",
    "User",
    "Video",
    "WebsocketSession",
    "authenticate_user",
    "context",
    "create_jwt",
    "init_http_context",
    "init_ws_context",
    "step",
    "user_session",
]
__version__ = "0.1.0"
