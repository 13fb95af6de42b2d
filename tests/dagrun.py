"""Run DAGs for real with ``dag.test()`` and read what their tasks left behind."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from airflow.sdk import DAG

EXAMPLES = Path(__file__).resolve().parent.parent / "dags_examples"


def load_example(filename: str, dag_id: str) -> DAG:
    """Import an example DAG file the way the DAG processor would."""
    spec = importlib.util.spec_from_file_location(f"example_{dag_id}", EXAMPLES / filename)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = getattr(module, "dag", None)
    assert isinstance(dag, DAG) and dag.dag_id == dag_id
    return dag


def run_dag(dag: DAG, **test_kwargs: Any) -> Any:
    """Serialize ``dag`` into the metadata DB and run it in-process; return the DagRun.

    Tasks run for real (templates, XCom, deferral through the trigger run inline).
    ``dag.test()`` does not raise when a task fails: check ``dag_run.state``.
    """
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.collection import update_dag_parsing_results_in_db
    from airflow.serialization.serialized_objects import LazyDeserializedDAG
    from airflow.utils.session import create_session

    DagBundlesManager().sync_bundles_to_db()
    with create_session() as session:
        update_dag_parsing_results_in_db(
            "dags-folder", None, [LazyDeserializedDAG.from_dag(dag)], {}, None, set(), session
        )
    return dag.test(**test_kwargs)


def task_states(dag_run: Any) -> dict[str, str | None]:
    from airflow.utils.session import create_session

    with create_session() as session:
        return {
            ti.task_id: (str(ti.state) if ti.state else None)
            for ti in dag_run.get_task_instances(session=session)
        }


def xcom(dag_run: Any, task_id: str, key: str = "return_value") -> Any:
    """The XCom value a task of ``dag_run`` pushed under ``key``."""
    from airflow.utils.session import create_session

    with create_session() as session:
        ti = dag_run.get_task_instance(task_id, session=session)
        assert ti is not None, f"no task instance {task_id}"
        return ti.xcom_pull(task_ids=task_id, key=key, session=session)


def mapped_xcoms(dag_run: Any, task_id: str, key: str = "return_value") -> list[Any]:
    """The XCom value of each mapped instance of ``task_id``, in map-index order."""
    from airflow.utils.session import create_session

    with create_session() as session:
        tis = [t for t in dag_run.get_task_instances(session=session) if t.task_id == task_id]
        return [
            ti.xcom_pull(task_ids=task_id, key=key, map_indexes=ti.map_index, session=session)
            for ti in sorted(tis, key=lambda t: t.map_index)
        ]


class _BareTaskInstance:
    """The little of a task instance the operators use when called outside a DAG run."""

    def __init__(self) -> None:
        from datetime import datetime, timezone

        self.start_date = datetime.now(timezone.utc)
        self.map_index = -1
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def bare_task_context() -> Any:
    """A context for calling ``operator.execute()`` directly, where exact timing matters."""
    return {"ti": _BareTaskInstance(), "task_state_store": None}
