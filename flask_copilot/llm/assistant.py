"""``Assistant``: a tool-calling model in the copilot, from plain blocking Python.

.. code-block:: python

    from openai import OpenAI
    from flask_copilot.llm import Assistant

    assistant = Assistant(client=OpenAI(), model="gpt-4o-mini",
                          instructions="You help people use the to-do page.")

    @assistant.tool
    def search_docs(query: str, limit: int = 5) -> list[str]:
        \"\"\"Search the help center.\"\"\"

    @copilot.on_message
    def on_message(msg):
        assistant.reply(msg)

``reply`` builds the conversation from the session (a resumed thread's messages
included), adds the page's shared state, offers the page's declared functions and the
Python tools, streams the answer into the chat, runs the tool calls the model makes
(page functions through :class:`~flask_copilot.CopilotFunction`, Python tools
directly, one after the other in the model's order, each shown as a step), gives their
results back to the model, and loops until the model answers or the round limit.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, overload

import openai

from ..chat.approval import ask_approval
from ..chat.context import checkpoint, require_session
from ..chat.functions import CopilotFunction
from ..chat.messages import ErrorMessage, Message
from ..chat.steps import Step
from ..core.page import PageFunction
from ..errors import CopilotFunctionDeclined, CopilotFunctionError, CopilotFunctionTimeout
from .conversation import TOOL_CALL_ID, ChatMessage, history_messages, page_state_message, trim
from .failures import describe
from .streaming import ModelTurn, ToolCallRequest, read_turn
from .tools import Tool, ToolArgumentsError, tool_from_function

logger = logging.getLogger("flask_copilot")
F = TypeVar("F", bound=Callable[..., Any])

#: The longest tool result given back to the model (characters); the rest is cut.
MAX_TOOL_RESULT_CHARS = 100_000


def _result_text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > MAX_TOOL_RESULT_CHARS:
        text = text[:MAX_TOOL_RESULT_CHARS] + f"… ({len(text) - MAX_TOOL_RESULT_CHARS} more)"
    return text


def _error_text(message: str) -> str:
    return json.dumps({"error": message}, ensure_ascii=False)


class Assistant:
    """A model behind the copilot, through the ``openai`` SDK's sync client.

    ``client``: an ``openai.OpenAI`` (or ``AzureOpenAI``) for any OpenAI-compatible
    endpoint; ``model``: the model name; ``instructions``: the system prompt.

    ``tools``: Python functions (or :class:`Tool`) the model may call, besides those
    added with :meth:`tool`. ``page_functions``: offer the functions the page declared
    (``registerCopilotFunction``); ``page_context``: give the model what the page
    shares (``setCopilotContext``, its URL and title). ``max_tool_rounds``: how many
    times in one reply the model may call tools before it must answer.
    ``history_limit``: earlier messages given to the model. ``timeout``: seconds the
    endpoint may stay silent (connect, and between streamed chunks).
    ``function_timeout``: seconds a page function may take (default
    ``COPILOT_FUNCTION_TIMEOUT``). ``author``: the
    name on its messages (default ``COPILOT_ASSISTANT_NAME``). ``request_options``: more
    arguments for ``chat.completions.create`` (``temperature``, ``max_tokens``,
    ``extra_body``…).
    """

    def __init__(
        self,
        client: openai.OpenAI,
        model: str,
        instructions: str = "",
        *,
        tools: Iterable[Callable[..., Any] | Tool] = (),
        page_functions: bool = True,
        page_context: bool = True,
        max_tool_rounds: int = 8,
        history_limit: int = 40,
        timeout: float = 60.0,
        function_timeout: float | None = None,
        author: str | None = None,
        request_options: Mapping[str, Any] | None = None,
    ) -> None:
        if max_tool_rounds < 0:
            raise ValueError("max_tool_rounds must be 0 or more")
        self.client = client
        self.model = model
        self.instructions = instructions
        self.page_functions = page_functions
        self.page_context = page_context
        self.max_tool_rounds = max_tool_rounds
        self.history_limit = history_limit
        self.timeout = timeout
        self.function_timeout = function_timeout
        self.author = author
        self.request_options = dict(request_options or {})
        self.tools: dict[str, Tool] = {}
        for item in tools:
            self._add(item if isinstance(item, Tool) else tool_from_function(item))

    # --- tools ---------------------------------------------------------------------

    def _add(self, tool: Tool) -> None:
        if tool.name in self.tools:
            raise ValueError(f"a tool named {tool.name!r} is already registered")
        self.tools[tool.name] = tool

    @overload
    def tool(self, function: F) -> F: ...
    @overload
    def tool(
        self,
        function: None = None,
        *,
        name: str | None = None,
        description: str | None = None,
        confirm: bool = False,
    ) -> Callable[[F], F]: ...
    def tool(
        self,
        function: F | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
        confirm: bool = False,
    ) -> Any:
        """Register a Python function as a tool: ``@assistant.tool`` or
        ``@assistant.tool(confirm=True)`` (the user approves each call first). Its
        parameters' JSON Schema comes from the type hints, descriptions from the
        docstring. The function stays callable as it was."""

        def register(target: F) -> F:
            self._add(
                tool_from_function(target, name=name, description=description, confirm=confirm)
            )
            return target

        return register(function) if function is not None else register

    def _page_functions(self, session: Any) -> dict[str, PageFunction]:
        if not self.page_functions:
            return {}
        declared: dict[str, PageFunction] = getattr(session, "page_functions", {})
        # A Python tool of the same name wins: it is the site's own code.
        return {name: f for name, f in declared.items() if name not in self.tools}

    def tool_specs(self, session: Any) -> list[dict[str, Any]]:
        """What the model is offered: the Python tools, then the page's functions."""
        specs = [tool.openai_spec() for tool in self.tools.values()]
        for function in self._page_functions(session).values():
            specs.append(
                {
                    "type": "function",
                    "function": {
                        "name": function.name,
                        "description": function.description,
                        "parameters": dict(function.parameters),
                    },
                }
            )
        return specs

    # --- the conversation ----------------------------------------------------------

    def messages(self, message: Message | None = None) -> list[ChatMessage]:
        """The request's messages for answering ``message`` now: instructions, the
        conversation so far, the page's state, and the user's message."""
        return self._build(message)[0]

    def _build(self, message: Message | None) -> tuple[list[ChatMessage], int | None]:
        """The messages, and where the page's state is among them (None: not there)."""
        session = require_session()
        history = session.history()
        latest: ChatMessage | None = None
        if message is not None and message.type == "user_message":
            # Last, whenever it was typed: a message sent while the previous answer was
            # still streaming is shown (and kept) in the middle of that answer.
            history = [m for m in history if m.get("id") != message.id]
            latest = {"role": "user", "content": message.content}
        conversation = history_messages(history)
        if latest is not None:
            conversation.append(latest)
        conversation = trim(conversation, self.history_limit)
        result: list[ChatMessage] = []
        if self.instructions:
            result.append({"role": "system", "content": self.instructions})
        page = page_state_message(session.page_context) if self.page_context else None
        page_index = None
        if page is not None:
            last_user = max(
                (i for i, m in enumerate(conversation) if m["role"] == "user"),
                default=len(conversation),
            )
            conversation.insert(last_user, page)
            page_index = len(result) + last_user
        result.extend(conversation)
        return result, page_index

    # --- answering -----------------------------------------------------------------

    def reply(self, message: Message | None = None) -> Message:
        """Answer ``message`` (the user's): stream the model's answer into the chat,
        running the tools it calls. Returns the last message shown; when the endpoint
        fails, an :class:`ErrorMessage` saying so (the detail goes to the log)."""
        session = require_session()
        messages, page_index = self._build(message)
        last: Message | None = None
        for round_number in range(self.max_tool_rounds + 1):
            tools = self.tool_specs(session)
            final = round_number == self.max_tool_rounds
            try:
                turn = self._request(messages, tools, final=final)
            except openai.APIError as exc:
                checkpoint()  # a stop closed the stream: not a failure
                return self._report(exc)
            if turn.message is not None:
                last = turn.message.send()
            if final and turn.tool_calls and turn.message is None:
                # An endpoint that ignored tool_choice "none": say why nothing follows.
                logger.info("assistant: still calling tools after %d rounds", round_number)
                last = Message(
                    "I stopped there: this needs more steps than I may take at once.",
                    author=self.author,
                ).send()
            if not turn.tool_calls or final:
                break
            messages.append(
                {
                    "role": "assistant",
                    "content": turn.text or None,
                    "tool_calls": [
                        {
                            "id": call.id,
                            "type": "function",
                            "function": {"name": call.name, "arguments": call.arguments},
                        }
                        for call in turn.tool_calls
                    ],
                }
            )
            for call in turn.tool_calls:  # in the model's order, one after the other
                messages.append(
                    {"role": "tool", "tool_call_id": call.id, "content": self._run(call)}
                )
            if page_index is not None:
                # A tool may have changed the page: give the model its state as it is now.
                fresh = page_state_message(session.page_context)
                if fresh is not None:
                    messages[page_index] = fresh
        return last if last is not None else Message("", author=self.author)

    def _request(
        self, messages: list[ChatMessage], tools: list[dict[str, Any]], *, final: bool
    ) -> ModelTurn:
        checkpoint()
        options: dict[str, Any] = {**self.request_options}
        if tools:
            options["tools"] = tools
            if final:  # the round limit: the model must answer now
                options["tool_choice"] = "none"
        create: Callable[..., Any] = self.client.chat.completions.create
        stream = create(
            model=self.model,
            messages=messages,
            stream=True,
            timeout=self.timeout,
            **options,
        )
        return read_turn(stream, self.author)

    def _report(self, exc: openai.APIError) -> Message:
        failure = describe(exc)
        assert failure is not None
        logger.warning("assistant: the model call failed: %s", failure.detail)
        return ErrorMessage(failure.message).send()

    # --- tool calls ----------------------------------------------------------------

    def _run(self, call: ToolCallRequest) -> str:
        """Run one tool call, shown as a step; its result (or error) for the model."""
        session = require_session()
        step = Step(call.name or "tool", "tool", metadata={TOOL_CALL_ID: call.id})
        try:
            args = json.loads(call.arguments or "{}")
        except ValueError:
            args = None
        if not isinstance(args, dict):
            step.input = call.arguments
            step.send()
            step.finish(error="The model sent arguments that are not a JSON object.")
            return _error_text("arguments must be a JSON object")
        tool = self.tools.get(call.name)
        if tool is not None:
            return self._run_python(tool, args, step)
        if call.name in self._page_functions(session):
            return self._run_page(call.name, args, step)
        step.input = args
        step.send()
        step.finish(error=f"There is no tool named {call.name!r}.")
        return _error_text(f"no tool named {call.name!r}; use only the tools offered")

    def _run_page(self, name: str, args: dict[str, Any], step: Step) -> str:
        try:
            value = CopilotFunction(name, args).call(self.function_timeout, step=step)
        except CopilotFunctionDeclined as exc:
            return _error_text(f"not done: {exc}")
        except (CopilotFunctionError, CopilotFunctionTimeout) as exc:
            logger.info("assistant: page function %s failed: %s", name, exc)
            return _error_text(str(exc))
        return _result_text(value)

    def _run_python(self, tool: Tool, args: dict[str, Any], step: Step) -> str:
        step.input = args
        step.send()
        try:
            prepared = tool.prepare(args)
        except ToolArgumentsError as exc:
            step.finish(error=f"Invalid arguments: {exc}")
            return _error_text(f"invalid arguments: {exc}")
        if tool.confirm:
            approval = ask_approval(step)
            step.actions = []
            if not approval.approved:
                step.finish(error=approval.reason)
                return _error_text(f"not done: {approval.reason}")
        try:
            # Steps the tool opens nest under it; its exception marks it failed.
            with step:
                value = tool.function(**prepared)
                step.output = value
        except Exception as exc:
            logger.warning("assistant: tool %s failed", tool.name, exc_info=True)
            return _error_text(f"the tool failed: {type(exc).__name__}: {exc}")
        return _result_text(value)
