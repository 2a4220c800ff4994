"""Python functions as tools a model can call: a JSON Schema from the type hints and
the docstring, arguments checked against it and turned back into Python values.

.. code-block:: python

    @assistant.tool
    def search_docs(query: str, limit: int = 5) -> list[str]:
        \"\"\"Search the help center.

        Args:
            query: What to look for.
            limit: How many results at most.
        \"\"\"

The schema is made by pydantic (which the ``openai`` SDK already depends on), so
``Literal``, ``Enum``, ``Optional``, ``list[...]``, dataclasses, ``TypedDict`` and
pydantic models all work as parameter types.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pydantic

from ..protocol.json_schema import ArgumentChecker
from ..protocol.schemas import FUNCTION_NAME

_SECTION = re.compile(
    r"^\s*(Args|Arguments|Parameters|Params|Keyword Args|Returns?|Raises|Yields|Examples?|Notes?)"
    r"\s*:\s*$"
)
_GOOGLE_PARAM = re.compile(r"^\s*\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_SPHINX_PARAM = re.compile(r"^\s*:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The description (text before any section) and each parameter's description,
    from a Google-style (``Args:``) or Sphinx-style (``:param x:``) docstring."""
    summary: list[str] = []
    params: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    for line in doc.splitlines():
        header = _SECTION.match(line)
        if header:
            section, current = header.group(1).lower(), None
            continue
        sphinx = _SPHINX_PARAM.match(line)
        if sphinx:
            section, current = "args", sphinx.group(1)
            params[current] = sphinx.group(2).strip()
            continue
        if line.lstrip().startswith(":"):  # :returns:, :raises: …
            section, current = "other", None
            continue
        if section is None:
            summary.append(line)
        elif section in ("args", "arguments", "parameters", "params", "keyword args"):
            google = _GOOGLE_PARAM.match(line)
            if google and len(line) - len(line.lstrip()) <= 8:
                current = google.group(1)
                params[current] = google.group(2).strip()
            elif current and line.strip():
                params[current] = f"{params[current]} {line.strip()}".strip()
        elif section == "args" and current and line.strip():  # sphinx continuation
            params[current] = f"{params[current]} {line.strip()}".strip()
    return "\n".join(summary).strip(), params


def _without_titles(schema: Any) -> Any:
    """pydantic puts a ``title`` on every property; to a model it is noise."""
    if isinstance(schema, dict):
        cleaned = {}
        for key, value in schema.items():
            if key == "title" and isinstance(value, str):
                continue
            if key == "properties" and isinstance(value, dict):
                cleaned[key] = {name: _without_titles(prop) for name, prop in value.items()}
            else:
                cleaned[key] = _without_titles(value)
        return cleaned
    if isinstance(schema, list):
        return [_without_titles(item) for item in schema]
    return schema


class ToolArgumentsError(ValueError):
    """The model's arguments do not fit the tool's parameters (the message names the
    fields)."""


@dataclass
class Tool:
    """A Python function the model may call."""

    function: Callable[..., Any]
    name: str
    description: str
    parameters: dict[str, Any]
    confirm: bool = False
    _model: type[pydantic.BaseModel] | None = field(default=None, repr=False)
    _checker: ArgumentChecker | None = field(default=None, repr=False)

    def openai_spec(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }

    def prepare(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """``args`` checked against the schema and turned into the Python values the
        function's type hints ask for. Raises :class:`ToolArgumentsError`."""
        if self._checker is None:
            self._checker = ArgumentChecker(self.parameters, run_patterns=True)
        problems = self._checker.problems(dict(args))
        if problems:
            raise ToolArgumentsError("; ".join(problems))
        if self._model is None:
            return dict(args)
        try:
            validated = self._model.model_validate(dict(args))
        except pydantic.ValidationError as exc:
            where = [
                ".".join(str(part) for part in error["loc"]) + ": " + error["msg"]
                for error in exc.errors()[:5]
            ]
            raise ToolArgumentsError("; ".join(where)) from None
        return {name: getattr(validated, name) for name in type(validated).model_fields}

    def __call__(self, args: Mapping[str, Any]) -> Any:
        return self.function(**self.prepare(args))


def tool_from_function(
    function: Callable[..., Any],
    *,
    name: str | None = None,
    description: str | None = None,
    confirm: bool = False,
) -> Tool:
    """Describe ``function`` as a tool: its parameters' JSON Schema from the type hints
    (and defaults), the descriptions from the docstring."""
    tool_name = name or function.__name__
    if not re.match(FUNCTION_NAME, tool_name):
        raise ValueError(f"tool name {tool_name!r}: use 1–64 letters, digits, _ or -")
    summary, documented = parse_docstring(inspect.getdoc(function) or "")
    hints = typing.get_type_hints(function, include_extras=True)
    fields: dict[str, Any] = {}
    for param in inspect.signature(function).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"tool {tool_name!r}: *args and **kwargs cannot be described")
        if param.kind is param.POSITIONAL_ONLY:
            raise TypeError(f"tool {tool_name!r}: positional-only parameters are not supported")
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (
            hints.get(param.name, Any),
            pydantic.Field(default, description=documented.get(param.name)),
        )
    model = pydantic.create_model(f"{tool_name}_arguments", **fields)
    schema = _without_titles(model.model_json_schema())
    schema.setdefault("properties", {})
    schema["type"] = "object"
    return Tool(
        function=function,
        name=tool_name,
        description=description if description is not None else summary,
        parameters=schema,
        confirm=confirm,
        _model=model,
    )
