"""Apache Airflow provider for Qovery: deployment stages, deployments and their outcome."""

__version__ = "0.1.0"
