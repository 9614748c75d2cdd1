"""The provider's Airflow UI: the release timeline (plugin, FastAPI app, server-rendered SVG).

Nothing here is imported by operators, hooks or triggers, so DAG parsing never pays for it; the
api-server loads :mod:`airflow_sm_provider.ui.plugin` through the provider info (or the
``airflow.plugins`` entry point) and builds the FastAPI app on the first request.
"""
