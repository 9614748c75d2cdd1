"""The ``configuration`` argument of every operator that uploads a ``.cscfg``, defined once.

Create deployment, change configuration and (later) upgrade take the same argument. A value ending
in ``.cscfg`` is a template *file*, found the Airflow way (the DAG's folder, then its
``template_searchpath``), rendered with Jinja like any template, and shown in Rendered Templates;
any other value is the XML itself (or its base64). Operators reuse it by inheriting
:class:`CscfgConfigurationMixin` before :class:`~airflow_sm_provider.operators.base.AsmBaseOperator`.

A ``.cscfg`` holding secrets would be visible in Rendered Templates: reference them from Airflow
instead (``{{ conn.<id>.password }}``, or a Variable whose name Airflow treats as sensitive), so
the masker shows ``***`` there and in logs (``AsmCreateDeploymentOperator`` in docs/reference.md).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

from airflow_sm_provider._rendering import is_template, optional, text
from airflow_sm_provider.operators._arguments import DeclaredArguments, argument
from airflow_sm_provider.operators._checks import invalid

__all__ = ["CSCFG_EXT", "CscfgConfigurationMixin"]

CSCFG_EXT = ".cscfg"


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside this package and Airflow (the DAG file)."""
    import sys

    level, frame = 2, sys._getframe(2)  # 1: the caller of warn(); 2: its caller
    while frame.f_back is not None and str(frame.f_globals.get("__name__", "")).startswith(
        ("airflow_sm_provider.", "airflow.")
    ):
        frame, level = frame.f_back, level + 1
    return level


def _unreadable(path: object) -> str:
    return f"{path!r} is not a readable file on this worker (configuration_path is read when the task runs)"


class CscfgConfigurationMixin(DeclaredArguments):
    """``configuration``: ``.cscfg`` XML, its base64, or the name of a ``.cscfg`` template file.

    ``configuration_path`` (deprecated) still reads a file when the task runs (on the worker, not
    when the DAG file is parsed), unrendered; use ``configuration="<file>.cscfg"`` instead.
    """

    template_ext: Sequence[str] = (CSCFG_EXT,)
    configuration: str | None = argument(None, reader=optional(text), templated=True)
    configuration_path: str | None = argument(None, reader=optional(text))

    def init_arguments(self) -> None:
        """Warn about the deprecated alias (at the DAG file's line that passed it)."""
        super().init_arguments()
        if self.configuration_path is not None:
            from airflow.exceptions import AirflowProviderDeprecationWarning

            warnings.warn(
                "configuration_path is deprecated: pass configuration='<file>.cscfg' (looked up in the "
                "DAG folder and template_searchpath, rendered with Jinja, shown in Rendered Templates)",
                AirflowProviderDeprecationWarning,
                stacklevel=_caller_level(),
            )

    def check_configuration(self) -> None:
        """Exactly one source; inline XML/base64 must parse. Template files are checked once rendered,
        ``configuration_path`` once the task runs (the file system is the worker's)."""
        import os

        configuration, path = self.configuration, self.configuration_path
        if is_template(configuration) or is_template(path):
            return
        if configuration is None and path is None and self.given_as("configuration"):
            # A template was given and rendered to nothing: say that first, not "give one of".
            invalid(
                "configuration",
                f"{self.given_as('configuration')} rendered to nothing; a .cscfg cannot be empty: fix "
                "the template (or what it reads)",
            )
        if (configuration is None) == (path is None):
            got = self.rendered_blank("configuration", "configuration_path")
            invalid(
                "configuration",
                "give exactly one of configuration (.cscfg XML, its base64, or a .cscfg file name) or "
                "the deprecated configuration_path"
                + (got or (" (both were given)" if configuration is not None else " (neither was given)")),
            )
        if configuration is not None:
            if configuration.endswith(CSCFG_EXT):
                if not getattr(self, "fields_final", False):
                    return  # a template file: Airflow loads and renders it before execute
                invalid(
                    "configuration",
                    f"{configuration!r} names a .cscfg file that was not loaded: only a literal file name "
                    "is a template file, not one produced by a template. Use "
                    '"{% include params.<name> %}" to choose the file per run',
                )
            self._check_rendered_cscfg(configuration)
        elif getattr(self, "fields_final", False) and not os.path.isfile(str(path)):
            # Only on the worker (after rendering): the DAG processor may not have the file.
            invalid("configuration_path", _unreadable(path))

    def _check_rendered_cscfg(self, configuration: str) -> None:
        """The client's rule (XML or its base64, well-formed); a rendered template's error names the
        template (a file name is fine to show), never its content (a .cscfg may hold secrets)."""
        from airflow_sm_provider.client import validation
        from airflow_sm_provider.client.errors import InvalidInputError

        given = self.given_as("configuration")
        try:
            validation.configuration(configuration, "configuration")
            return
        except InvalidInputError as exc:
            if given is None:
                raise
            # What is wrong, without the client's advice on how to pass the text (a template was).
            what = exc.message.rsplit(": ", 1)[0].rstrip(".")
        invalid(
            "configuration",
            f"{given} rendered to text that is not a valid .cscfg ({what}); the rendered text is not "
            "shown (a .cscfg may hold secrets): fix the template",
        )

    if TYPE_CHECKING:  # ``_rendering.TypedFields``, which every operator using this mixin is

        def given_as(self, field: str) -> str | None: ...
        def rendered_blank(self, *fields: str) -> str: ...

    def configuration_text(self) -> str:
        """The ``.cscfg`` to send: the rendered argument, or the deprecated path's file content."""
        if self.configuration is not None:
            return self.configuration
        try:
            with open(str(self.configuration_path), encoding="utf-8-sig") as fh:
                return fh.read()
        except OSError:
            invalid("configuration_path", _unreadable(self.configuration_path))
