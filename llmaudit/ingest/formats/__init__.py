"""Built-in log formats. Importing this package registers each one, in sniffing order.

Order matters only for detection ties: more specific shapes come first (a module that
imports another registers after it). Every module in ``MODULES`` is imported by name, so
a missing or broken one fails the import loudly: a format that silently stopped
registering would leave its logs unrecognized (tests/ingest/test_registry.py).
"""

import importlib
from typing import Final

MODULES: Final = (
    "openai_batch",
    "openai",
    "anthropic_batch",
    "anthropic",
    "gemini",
    "litellm",
    "langfuse",
    "langfuse_trace",
    "helicone",
    "otel",
    "claude_code",
    "generic",
)

for _name in MODULES:
    importlib.import_module(f"{__name__}.{_name}")
