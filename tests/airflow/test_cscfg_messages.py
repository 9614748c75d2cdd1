"""A ``.cscfg`` template that renders to something unusable says which template, never its content.

A new user's trial: ``configuration="broken.cscfg"`` (a template file whose text is not XML) said
"configuration is neither the .cscfg XML nor valid base64 of it" without naming the file, and a
template rendering to nothing said "give exactly one of configuration (...) or the deprecated
configuration_path" although one was given. Both now say what they got -- the file name, and what
it rendered to when blank -- and never quote the rendered text (a ``.cscfg`` may hold settings
that are secrets). Real DAG runs (``dag.test``) with the files in the DAG's template_searchpath.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness import PACKAGE_URL, START, run_dag, task_states
from test_blue_green_support import make_client, new_service

from airflow_sm_provider.operators.deployment import AsmCreateDeploymentOperator

SECRET_LOOKING = "this is { not XML at all, password=hunter2"


def _run(tmp_path: Path, service: str, configuration: str) -> Any:
    from airflow.sdk import DAG

    (tmp_path / "broken.cscfg").write_text(SECRET_LOOKING)
    (tmp_path / "empty.cscfg").write_text("{% if false %}x{% endif %}")
    with DAG(
        "cscfg_message_" + ("inline" if "<" in configuration else configuration.split(".", maxsplit=1)[0]),
        schedule=None,
        start_date=START,
        template_searchpath=[str(tmp_path)],
    ) as dag:
        AsmCreateDeploymentOperator(
            task_id="deploy",
            service_name=service,
            deployment_slot="staging",
            deployment_name="v1",
            package_url=PACKAGE_URL,
            configuration=configuration,
            retries=0,
        )
    return run_dag(dag)


def _failed_deploy(
    tmp_path: Path, endpoint: dict[str, Any], capfd: pytest.CaptureFixture[str], configuration: str
) -> tuple[list[str], str]:
    """Run the deploy with ``configuration``; it must fail. Its configuration error lines, and all output."""
    with make_client(endpoint) as client:
        service = new_service(client)
        dr = _run(tmp_path, service, configuration)
    assert task_states(dr) == {"deploy": "failed"}
    captured = capfd.readouterr()
    output = captured.out + captured.err
    errors = [line for line in output.splitlines() if "InvalidInputError: configuration" in line]
    assert errors, output[-3000:]
    return errors, output


@pytest.mark.parametrize(
    ("configuration", "expected"),
    [
        (
            "broken.cscfg",
            "InvalidInputError: configuration: the template file 'broken.cscfg' rendered to text that is "
            "not a valid .cscfg (configuration is neither .cscfg XML (it does not start with '<') nor "
            "base64 of .cscfg XML (it is plain text; base64 has no spaces within a line)); the rendered "
            "text is not shown (a .cscfg may hold secrets): fix the template",
        ),
        (
            "empty.cscfg",
            # It used to lead with "give exactly one of configuration or configuration_path", though
            # configuration was given (a verification run).
            "InvalidInputError: configuration: the template file 'empty.cscfg' rendered to nothing; a "
            ".cscfg cannot be empty: fix the template (or what it reads)",
        ),
    ],
    ids=["not_xml", "renders_empty"],
)
def test_a_cscfg_template_error_names_the_file_and_not_its_content(
    configuration: str,
    expected: str,
    tmp_path: Path,
    asm_endpoint: dict[str, Any],
    asm_conn_id: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    errors, _ = _failed_deploy(tmp_path, asm_endpoint, capfd, configuration)
    assert len(errors) == 1 and expected in errors[0], errors  # one error, not a chained pair
    assert not any("hunter2" in line or "not XML at all" in line for line in errors), errors


def test_an_inline_cscfg_template_error_shows_its_jinja_not_its_settings(
    tmp_path: Path,
    asm_endpoint: dict[str, Any],
    asm_conn_id: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # Inline, not a file: the template's own text holds a literal account key (found in review).
    inline = (
        '<ServiceConfiguration serviceName="x"><Role name="Web"><ConfigurationSettings>'
        '<Setting name="Storage" value="AccountKey=SECRETKEY123=="/>'
        '<Setting name="Label" value="{{ "R&D" }}"/></ConfigurationSettings></Role></ServiceConfiguration>'
    )
    errors, output = _failed_deploy(tmp_path, asm_endpoint, capfd, inline)
    assert "an inline template (" in errors[0] and '{{ "R&D" }}' in errors[0], errors
    assert "SECRETKEY123" not in output, errors


@pytest.mark.parametrize(
    "configuration",
    [
        "deploy/Service Configuration.cscg",
        "ServiceConfiguration.cscfg ",
        "this is not xml",
        "this is not xml at all",
    ],
    ids=["path_typo", "trailing_space", "letters_only", "plain_text"],
)
def test_plain_text_or_a_mistyped_file_name_is_told_what_to_pass(configuration: str) -> None:
    """It was read as base64 ("is base64 but does not decode to XML") or told only "neither"
    (verification run); now: what it looks like, and the two forms that work. At construction."""
    from airflow_sm_provider.client.errors import InvalidInputError

    with pytest.raises(InvalidInputError) as err:
        AsmCreateDeploymentOperator(
            task_id="deploy",
            service_name="svc",
            deployment_slot="staging",
            deployment_name="v1",
            package_url=PACKAGE_URL,
            configuration=configuration,
        )
    message = err.value.message
    assert err.value.field == "configuration" and "is base64" not in message, message
    assert "nor base64 of .cscfg XML" in message and ("file name" in message or "plain text" in message)
    assert ("blanks around it" in message) == configuration.endswith(" "), message
    assert "the .cscfg file's XML text" in message and "name ending in .cscfg" in message, message
    assert configuration.strip() not in str(err.value)
