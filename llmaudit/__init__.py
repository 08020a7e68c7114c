"""llmaudit: cost audit and routing simulator for LLM API traffic.

The package is a one-way pipeline: files -> ingest -> canonical frame -> price ->
report. The public names below are the small API for use from Python; the CLI in
``llmaudit.cli`` is a thin layer over them.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
