"""Finding an object by name among those Qovery listed. No I/O here.

Qovery compares environment and stage names case-insensitively, so this does too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from qovery_airflow.errors import QoveryInvalidInputError, QoveryNotFoundError


class Named(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str | None: ...


NamedT = TypeVar("NamedT", bound=Named)


def pick_by_name(items: Sequence[NamedT], name: object, *, kind: str, where: str) -> NamedT:
    """Return the one item named ``name`` (case-insensitively), or raise listing the names.

    :param kind: What is looked for, for messages ("stage", "service").
    :param where: Where it is looked for, for messages ("environment 3c90...").
    """
    if not isinstance(name, str) or not name.strip():
        raise QoveryInvalidInputError(
            f"The {kind} name must be a non-empty string, got {type(name).__name__} {name!r}."
        )
    wanted = name.strip().casefold()
    matches = [item for item in items if (item.name or "").strip().casefold() == wanted]
    if len(matches) == 1:
        return matches[0]
    if matches:
        ids = ", ".join(item.id for item in matches)
        raise QoveryInvalidInputError(
            f"{len(matches)} {kind}s are named {name.strip()!r} in {where} ({ids}); "
            f"give the {kind} id instead."
        )
    known = ", ".join(sorted(repr(item.name) for item in items)) or "none"
    raise QoveryNotFoundError(f"No {kind} named {name.strip()!r} in {where}. Its {kind}s: {known}.")
