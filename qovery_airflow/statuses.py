"""The one table that says what each Qovery deployment state means for a waiting task.

Every value of Qovery's ``StateEnum`` is listed. Which state counts as success depends on
the action that was asked (``DEPLOYED`` after a deploy, ``RESTARTED`` after a restart...).
A value the table does not know is treated as still in progress, so a new state added by
Qovery makes the task wait (up to its deadline) instead of crashing or passing.
"""

from __future__ import annotations

import enum


class Outcome(str, enum.Enum):
    """What a state means for the wait."""

    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"
    SUCCESS = "success"
    FAILURE = "failure"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (Outcome.SUCCESS, Outcome.FAILURE, Outcome.CANCELLED)


class Action(str, enum.Enum):
    """The action a task asked Qovery for, which decides which final state is success."""

    DEPLOY = "DEPLOY"
    RESTART = "RESTART"
    STOP = "STOP"
    DELETE = "DELETE"


#: The final state that means success, per action.
SUCCESS_STATE: dict[Action, str] = {
    Action.DEPLOY: "DEPLOYED",
    Action.RESTART: "RESTARTED",
    Action.STOP: "STOPPED",
    Action.DELETE: "DELETED",
}

_IN_PROGRESS = frozenset(
    {
        "QUEUED",
        "DEPLOYMENT_QUEUED",
        "STOP_QUEUED",
        "RESTART_QUEUED",
        "DELETE_QUEUED",
        "BUILDING",
        "DEPLOYING",
        "EXECUTING",
        "RESTARTING",
        "STOPPING",
        "DELETING",
        "CANCELING",
        "WAITING_RUNNING",
        "WAITING_STOPPING",
        "WAITING_RESTARTING",
        "WAITING_DELETING",
        # "Status unavailable" (added March 2026): not an outcome, keep waiting.
        "UNAVAILABLE",
    }
)
_FAILURE = frozenset(
    {
        "BUILD_ERROR",
        "DEPLOYMENT_ERROR",
        "RESTART_ERROR",
        "STOP_ERROR",
        "DELETE_ERROR",
        # Undocumented; the console shows it with an error icon.
        "RECAP",
    }
)
_ENDED = frozenset(SUCCESS_STATE.values())

#: Every state of the spec's StateEnum (29 values), for the tests that keep this table whole.
KNOWN_STATES = _IN_PROGRESS | _FAILURE | _ENDED | {"CANCELED", "READY"}


def classify(state: str | None, action: Action = Action.DEPLOY) -> Outcome:
    """Classify a Qovery state for a task that asked for ``action``.

    ``READY`` (never deployed, or not started yet right after a trigger) is NOT_STARTED.
    A final state of another action (``STOPPED`` while deploying) is a failure: the
    environment did not end where the task asked. ``None`` and unknown values are
    IN_PROGRESS; use ``is_known`` to warn about them.
    """
    if state is None:
        return Outcome.IN_PROGRESS
    state = state.upper()
    if state in _FAILURE:
        return Outcome.FAILURE
    if state == "CANCELED":
        return Outcome.CANCELLED
    if state == "READY":
        return Outcome.NOT_STARTED
    if state == SUCCESS_STATE[action]:
        return Outcome.SUCCESS
    if state in _ENDED:
        return Outcome.FAILURE
    return Outcome.IN_PROGRESS


def is_known(state: str | None) -> bool:
    """Whether ``state`` is a value this table was written for (``None`` counts as known)."""
    return state is None or state.upper() in KNOWN_STATES


_QUEUED = frozenset(
    {"QUEUED", "DEPLOYMENT_QUEUED", "STOP_QUEUED", "RESTART_QUEUED", "DELETE_QUEUED"}
)


def is_queued(state: str | None) -> bool:
    """Whether ``state`` says the request waits in Qovery's queue (has not started)."""
    return state is not None and state.upper() in _QUEUED
