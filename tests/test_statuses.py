"""The status table covers every state of the spec and classifies each one once."""

from __future__ import annotations

import pytest
import yaml

from qovery_airflow.statuses import KNOWN_STATES, Action, Outcome, classify, is_known
from qovery_airflow.testing import SEED_PATH

SPEC = SEED_PATH.parent / "openapi.yaml"


def _spec_states() -> set[str]:
    with SPEC.open() as handle:
        spec = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return set(spec["components"]["schemas"]["StateEnum"]["enum"])


def test_the_table_knows_every_state_of_the_spec() -> None:
    assert _spec_states() == KNOWN_STATES
    assert len(KNOWN_STATES) == 29


@pytest.mark.parametrize(
    ("state", "action", "outcome"),
    [
        ("DEPLOYED", Action.DEPLOY, Outcome.SUCCESS),
        ("RESTARTED", Action.RESTART, Outcome.SUCCESS),
        ("STOPPED", Action.STOP, Outcome.SUCCESS),
        ("DELETED", Action.DELETE, Outcome.SUCCESS),
        ("STOPPED", Action.DEPLOY, Outcome.FAILURE),
        ("DEPLOYED", Action.RESTART, Outcome.FAILURE),
        ("BUILD_ERROR", Action.DEPLOY, Outcome.FAILURE),
        ("DEPLOYMENT_ERROR", Action.DEPLOY, Outcome.FAILURE),
        ("RESTART_ERROR", Action.RESTART, Outcome.FAILURE),
        ("RECAP", Action.DEPLOY, Outcome.FAILURE),
        ("CANCELED", Action.DEPLOY, Outcome.CANCELLED),
        ("READY", Action.DEPLOY, Outcome.NOT_STARTED),
        ("DEPLOYING", Action.DEPLOY, Outcome.IN_PROGRESS),
        ("EXECUTING", Action.DEPLOY, Outcome.IN_PROGRESS),
        ("WAITING_RUNNING", Action.DEPLOY, Outcome.IN_PROGRESS),
        ("CANCELING", Action.DEPLOY, Outcome.IN_PROGRESS),
        ("UNAVAILABLE", Action.DEPLOY, Outcome.IN_PROGRESS),
        ("deployed", Action.DEPLOY, Outcome.SUCCESS),
        (None, Action.DEPLOY, Outcome.IN_PROGRESS),
        ("TELEPORTING", Action.DEPLOY, Outcome.IN_PROGRESS),
    ],
)
def test_classify(state: str | None, action: Action, outcome: Outcome) -> None:
    assert classify(state, action) is outcome


def test_every_known_state_has_one_meaning_per_action() -> None:
    for action in Action:
        successes = [s for s in KNOWN_STATES if classify(s, action) is Outcome.SUCCESS]
        assert len(successes) == 1, (action, successes)
    failures = {s for s in KNOWN_STATES if classify(s) is Outcome.FAILURE}
    assert {s for s in KNOWN_STATES if s.endswith("_ERROR")} <= failures


def test_unknown_states_are_flagged() -> None:
    assert not is_known("TELEPORTING")
    assert is_known("DEPLOYED") and is_known(None)
