"""Hand-written analysis appended to docs/benchmarks.md (profiles and proposed fixes)."""

from __future__ import annotations

TEXT: list[str] = ["(pending)"]
