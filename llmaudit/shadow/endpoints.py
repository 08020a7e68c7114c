"""Where each candidate is sent: ``--base-url``/``--api-key-env``, or an endpoints file.

The file (YAML, schema in docs/shadow.md, example in examples/shadow-endpoints.yaml)
maps candidate names to an OpenAI-compatible base URL, the environment variable that
holds the key, and optionally the model name the endpoint expects. Keys are read from
the environment by the CLI, never stored here or written anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from llmaudit.errors import ConfigError
from llmaudit.yamlsrc import StrictModel, load_yaml, validate


class EndpointSpec(StrictModel):
    base_url: str
    api_key_env: str | None = None
    model: str | None = None
    """The model name the endpoint expects (e.g. "openai/gpt-4.1-mini" on OpenRouter)."""


class EndpointsFile(StrictModel):
    version: int = 1
    default: EndpointSpec | None = None
    candidates: dict[str, EndpointSpec] = Field(default_factory=dict)


@dataclass(frozen=True)
class Endpoint:
    """One candidate's endpoint: ``model`` is what the request body names."""

    candidate: str
    base_url: str
    api_key_env: str | None
    model: str


def load_endpoints(path: str | Path) -> EndpointsFile:
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{path}: an endpoints file must be a YAML mapping", hint="see docs/shadow.md, 'Endpoints'")
    return validate(doc, EndpointsFile, what=f"endpoints file {path}")


def resolve(
    candidates: list[str], spec: EndpointsFile | None, base_url: str | None, api_key_env: str | None
) -> list[Endpoint]:
    """An endpoint per candidate: its own entry in the file, else the flags, else the file's default."""
    out = []
    for name in candidates:
        entry = spec.candidates.get(name) if spec is not None else None
        if entry is None and base_url is not None:
            entry = EndpointSpec(base_url=base_url, api_key_env=api_key_env)
        if entry is None and spec is not None:
            entry = spec.default
        if entry is None:
            raise ConfigError(
                f"no endpoint for candidate {name!r}",
                hint="pass --base-url URL (and --api-key-env VAR), or give it under 'candidates:' in --endpoints",
            )
        out.append(Endpoint(name, entry.base_url.rstrip("/"), entry.api_key_env, entry.model or name))
    return out
