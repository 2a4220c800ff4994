"""JSON Schema for function arguments: what a page declares, what a model sends.

The page declares each function's parameters as a JSON Schema; before a call reaches the
page, its arguments are checked against it here (with the ``jsonschema`` package), so a
model's mistake is refused with the field it got wrong. Python tools use the same check.

Two things are never done with a schema that came from a browser:

- fetch anything: only local ``$ref`` (``#/...``) is accepted (``jsonschema`` does not
  retrieve remote references either; this makes the refusal clear up front);
- run its regular expressions: ``pattern`` is not checked on the server for page-declared
  schemas, because a crafted pattern can take exponential time in Python's ``re`` and
  stall a whole worker. The widget checks ``pattern`` in the browser before it runs the
  page's handler; ``patternProperties`` is refused outright.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator, SchemaError, validators
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from referencing.exceptions import Unresolvable

#: Deeper schemas are refused (a model's parameters are a few levels deep).
MAX_SCHEMA_DEPTH = 24
#: Problems reported for one call (the first ones, in document order).
MAX_PROBLEMS = 5


def _no_pattern(validator: Any, pattern: Any, instance: Any, schema: Any) -> Iterator[Any]:
    return iter(())


_WITHOUT_PATTERNS: dict[Any, type[Validator]] = {}


def _validator_class(schema: Mapping[str, Any], *, run_patterns: bool) -> type[Validator]:
    base: type[Validator] = validators.validator_for(schema, default=Draft202012Validator)
    if run_patterns:
        return base
    extended = _WITHOUT_PATTERNS.get(base)
    if extended is None:  # one extended class per draft, made once
        extended = _WITHOUT_PATTERNS[base] = validators.extend(  # type: ignore[no-untyped-call]
            base, {"pattern": _no_pattern}
        )
    return extended


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of ``value``, counting at most ``limit + 1`` levels."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > limit:
            return level
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def _refs(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                if key in ("$ref", "$dynamicRef") and isinstance(child, str):
                    yield child
                elif isinstance(child, (dict, list)):
                    stack.append(child)
        elif isinstance(node, list):
            stack.extend(child for child in node if isinstance(child, (dict, list)))


def _keys(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield from (key for key in node if isinstance(key, str))
            stack.extend(c for c in node.values() if isinstance(c, (dict, list)))
        elif isinstance(node, list):
            stack.extend(c for c in node if isinstance(c, (dict, list)))


def check_declared_schema(schema: Any) -> None:
    """Raise ``ValueError`` saying why ``schema`` cannot describe a function's
    parameters: it must be a valid JSON Schema for an object, self-contained."""
    if not isinstance(schema, dict):
        raise ValueError("must be a JSON Schema object")
    if schema.get("type") != "object":
        raise ValueError('must describe an object: {"type": "object", "properties": {…}}')
    if _depth(schema, MAX_SCHEMA_DEPTH) > MAX_SCHEMA_DEPTH:
        raise ValueError(f"is nested deeper than {MAX_SCHEMA_DEPTH} levels")
    for ref in _refs(schema):
        if not ref.startswith("#"):
            raise ValueError(f"$ref {ref!r}: only references inside the schema (#/…) are allowed")
    if any(key == "patternProperties" for key in _keys(schema)):
        raise ValueError("patternProperties is not supported; list the properties instead")
    try:
        _validator_class(schema, run_patterns=False).check_schema(schema)
    except SchemaError as exc:
        where = _path(exc.absolute_path)
        problem = f"{where}: {exc.message}" if where else exc.message
        raise ValueError(f"is not a valid JSON Schema ({problem})") from None


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(error: ValidationError) -> str:
    where = _path(error.absolute_path)
    if error.validator == "required" and isinstance(error.validator_value, list):
        instance = error.instance if isinstance(error.instance, dict) else {}
        missing = [name for name in error.validator_value if name not in instance]
        if missing:
            field = f"{where}.{missing[0]}" if where else str(missing[0])
            return f"{field}: required, but missing"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}) if isinstance(error.schema, dict) else {})
        extra = [name for name in error.instance if name not in known]
        if extra:
            field = f"{where}.{extra[0]}" if where else str(extra[0])
            return f"{field}: not a parameter of this function"
    return f"{where or '(arguments)'}: {error.message}"


class ArgumentChecker:
    """Checks call arguments against one function's parameters schema.

    ``run_patterns=False`` for schemas that came from a browser (see the module doc).
    """

    def __init__(self, schema: Mapping[str, Any], *, run_patterns: bool) -> None:
        self.schema = schema
        self._validator = _validator_class(schema, run_patterns=run_patterns)(schema)

    def problems(self, args: Any) -> list[str]:
        """What is wrong with ``args``, field by field (empty when they are valid)."""
        try:
            errors = sorted(
                self._validator.iter_errors(args), key=lambda e: [str(p) for p in e.path]
            )
        except Unresolvable as exc:
            return [f"the parameters schema cannot be used: {exc}"]
        except RecursionError:
            return ["the parameters schema refers to itself without end"]
        return [_describe(error) for error in errors[:MAX_PROBLEMS]]
