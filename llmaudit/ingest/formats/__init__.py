"""Built-in log formats. Importing this package registers each one, in sniffing order.

Order matters only for detection ties: more specific shapes come first.
"""

import importlib
import importlib.util

_ORDER = (
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

for _name in _ORDER:
    if importlib.util.find_spec(f"{__name__}.{_name}") is not None:
        importlib.import_module(f"{__name__}.{_name}")
