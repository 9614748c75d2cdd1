"""Ask the plugin's app, in-process, as two users with a stub auth manager; print what each got.

    python tests/ui/auth_probe.py HOME  ->  JSON {case: [status, body excerpt, auth calls]}

Run in its own process (``test_app_auth.py``) because it points Airflow at a new home. The stub
stands in for the configured auth manager exactly where Airflow looks it up
(``security.get_auth_manager``): "insider" may read every DAG, "outsider" no DAG but
``other_dag``. The pages must ask it about the right DAG and entity and show nothing when told no.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))


class StubAuthManager:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None, str]] = []

    async def get_user_from_token(self, token: str) -> Any:
        return {"name": token}

    def is_authorized_dag(self, *, method: str, access_entity: Any, details: Any, user: Any) -> bool:
        self.calls.append((method, str(access_entity), details.id, user["name"]))
        return user["name"] == "insider" or details.id == "other_dag"


def main(home: str) -> None:
    from airflow_sm_provider.testing import use_airflow_home

    use_airflow_home(home)
    dag_file = Path(home) / "dags" / "asm_releases.py"
    dag_file.write_text(Path(__file__).with_name("asm_releases_dag.py").read_text())
    import seed_releases

    seed_releases.main(str(dag_file))

    from airflow.api_fastapi.core_api import security
    from fastapi.testclient import TestClient

    from airflow_sm_provider.ui.app import create_app

    stub = StubAuthManager()
    security.get_auth_manager = lambda: stub  # type: ignore[assignment]
    client = TestClient(create_app())
    query = {"dag_id": "asm_releases", "run_id": seed_releases.RUN_ID, "task_id": "release_ok"}
    results: dict[str, Any] = {}
    for user in ("insider", "outsider"):
        for page in ("release", "operation"):
            stub.calls.clear()
            answer = client.get(f"/{page}", params=query, headers={"Authorization": f"Bearer {user}"})
            results[f"{user} {page}"] = [answer.status_code, answer.text, list(stub.calls)]
    anonymous = client.get("/release", params=query)
    results["anonymous release"] = [anonymous.status_code, anonymous.text, []]
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1])
