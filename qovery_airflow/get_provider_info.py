"""Provider metadata that Airflow reads through the ``apache_airflow_provider`` entry point.

Kept free of imports so that Airflow can discover the provider without loading it.
"""

from __future__ import annotations

from typing import Any

DEFAULT_API_URL = "https://api.qovery.com"


def get_provider_info() -> dict[str, Any]:
    """Describe the provider, its modules and the ``qovery`` connection type to Airflow."""
    return {
        "package-name": "qovery-airflow",
        "name": "Qovery",
        "description": "Deploy and arrange Qovery environments and services from Airflow DAGs.",
        "integrations": [
            {
                "integration-name": "Qovery",
                "external-doc-url": "https://hub.qovery.com/docs/",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {"integration-name": "Qovery", "python-modules": ["qovery_airflow.hooks.qovery"]}
        ],
        "operators": [
            {
                "integration-name": "Qovery",
                "python-modules": [
                    "qovery_airflow.operators.deployment_stage",
                    "qovery_airflow.operators.deployment",
                ],
            }
        ],
        "sensors": [
            {"integration-name": "Qovery", "python-modules": ["qovery_airflow.sensors.deployment"]}
        ],
        "triggers": [
            {
                "integration-name": "Qovery",
                "python-modules": ["qovery_airflow.triggers.deployment"],
            }
        ],
        "extra-links": [
            "qovery_airflow.links.QoveryEnvironmentLink",
            "qovery_airflow.links.QoveryDeploymentLink",
        ],
        "connection-types": [
            {
                "connection-type": "qovery",
                "hook-class-name": "qovery_airflow.hooks.qovery.QoveryHook",
                "hook-name": "Qovery",
                "ui-field-behaviour": {
                    "hidden-fields": ["login", "schema", "extra", "description"],
                    "relabeling": {"password": "API token", "host": "API URL"},
                    "placeholders": {
                        "host": DEFAULT_API_URL,
                        "password": "Qovery API token (Organization settings > API tokens)",
                        "port": "443",
                    },
                },
                "conn-fields": {
                    "token_type": {
                        "label": "Token type",
                        "description": (
                            "Authorization scheme. 'auto' sends 'Bearer' for a JWT and "
                            "'Token' for a Qovery API token."
                        ),
                        "schema": {
                            "type": ["string", "null"],
                            "enum": ["auto", "Token", "Bearer", None],
                            "default": "auto",
                        },
                    },
                    "connect_timeout": {
                        "label": "Connect timeout (seconds)",
                        "schema": {"type": ["number", "null"], "minimum": 0.1, "default": 10},
                    },
                    "read_timeout": {
                        "label": "Read timeout (seconds)",
                        "description": "How long to wait for Qovery to answer one request.",
                        "schema": {"type": ["number", "null"], "minimum": 0.1, "default": 60},
                    },
                    "allow_insecure_http": {
                        "label": "Allow plain http",
                        "description": (
                            "Accept an http:// API URL that is not on this machine. The token "
                            "then crosses the network unencrypted: only for a trusted proxy."
                        ),
                        "schema": {"type": ["boolean", "null"], "default": False},
                    },
                    "verify_ssl": {
                        "label": "Verify TLS certificates",
                        "schema": {"type": ["boolean", "null"], "default": True},
                    },
                    "max_retries": {
                        "label": "Retries per request",
                        "description": "Retries of one request on 429, 502-504 and network errors.",
                        "schema": {"type": ["integer", "null"], "minimum": 0, "default": 5},
                    },
                    "retry_max_seconds": {
                        "label": "Retry budget (seconds)",
                        "description": "Total time one request may spend retrying.",
                        "schema": {"type": ["number", "null"], "minimum": 0, "default": 300},
                    },
                },
            }
        ],
    }
