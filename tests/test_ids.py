"""Validation of ids and flags as templates render them."""

from __future__ import annotations

import uuid

import pytest

from qovery_airflow.errors import QoveryInvalidInputError
from qovery_airflow.ids import canonical_id, coerce_bool

ID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


@pytest.mark.parametrize(
    "value",
    [ID, ID.upper(), f"  {ID}\n", uuid.UUID(ID), "{" + ID + "}", ID.replace("-", "")],
)
def test_canonical_id_accepts_what_templates_render(value: object) -> None:
    assert canonical_id(value, "service_id") == ID


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("", "service_id is empty"),
        ("   ", "service_id is empty"),
        ("None", "got 'None'"),
        ("not-an-id", "got 'not-an-id'"),
        (None, "got NoneType None"),
        (42, "got int 42"),
        ([ID], "got list"),
    ],
)
def test_canonical_id_rejects_with_the_parameter_name(value: object, match: str) -> None:
    with pytest.raises(QoveryInvalidInputError, match=match):
        canonical_id(value, "service_id")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ("True", True), (" false ", False), ("1", True), (0, False)],
)
def test_coerce_bool(value: object, expected: bool) -> None:
    assert coerce_bool(value, "is_skipped") is expected


@pytest.mark.parametrize("value", ["maybe", "", None, 2, 1.0])
def test_coerce_bool_rejects(value: object) -> None:
    with pytest.raises(QoveryInvalidInputError, match="is_skipped must be a boolean"):
        coerce_bool(value, "is_skipped")
