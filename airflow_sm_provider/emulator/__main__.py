"""Entry point: ``python -m airflow_sm_provider.emulator --state-dir DIR`` (see ``cli.py``)."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
