"""Validation of the values users pass as ids and flags, before any request is sent.

Values often come from templates (``{{ params.x }}``, ``xcom_pull``) and so arrive as
``uuid.UUID`` objects, strings with stray whitespace, or rendered ``"True"``/``"False"``.
"""

from __future__ import annotations

import ast
import json
import math
import uuid

from qovery_airflow.errors import QoveryInvalidInputError

_EXAMPLE_ID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def canonical_id(value: object, name: str) -> str:
    """Return ``value`` as a canonical lower-case UUID string, or raise naming ``name``."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        raise QoveryInvalidInputError(
            f"{name} must be a Qovery id (a UUID string such as {_EXAMPLE_ID}), "
            f"got {type(value).__name__} {value!r}."
        )
    text = value.strip()
    if not text:
        raise QoveryInvalidInputError(
            f"{name} is empty. If it comes from a template, check that the template renders "
            "a value (the DAG param is set, the upstream task pushed the XCom)."
        )
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise QoveryInvalidInputError(
            f"{name} must be a Qovery id (a UUID such as {_EXAMPLE_ID}), got {text!r}."
        ) from None


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def coerce_bool(value: object, name: str) -> bool:
    """Return ``value`` as a bool, accepting the strings a template renders for booleans."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise QoveryInvalidInputError(
        f"{name} must be a boolean (True or False), got {type(value).__name__} {value!r}."
    )


def parse_rendered_structure(text: str, name: str) -> object:
    """A list or dict that a template rendered as text: JSON, or Python's ``repr`` of it.

    Without ``render_template_as_native_obj`` Jinja renders ``{{ params.services }}`` as
    Python text (single quotes), and ``| tojson`` as JSON; both are read back here.
    """
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise QoveryInvalidInputError(
            f"{name} is text that is neither JSON nor a Python literal: {text[:120]!r}."
        ) from None


def positive_number(value: object, name: str) -> float:
    """``value`` as a finite number above zero (a string such as ``"15"`` is accepted)."""
    try:
        number = float(value) if not isinstance(value, bool) else math.nan  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise QoveryInvalidInputError(
            f"{name} must be a number of seconds above zero, got {type(value).__name__} {value!r}."
        )
    return number


def optional_count(value: object, name: str) -> int | None:
    """``value`` as a whole number >= 0, or None when not given."""
    if value is None:
        return None
    try:
        number = float(value) if not isinstance(value, bool) else math.nan  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number < 0 or number != int(number):
        raise QoveryInvalidInputError(
            f"{name} must be a whole number >= 0, got {type(value).__name__} {value!r}."
        )
    return int(number)
