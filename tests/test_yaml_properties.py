"""Random YAML for every kind of file a user writes: it loads, or it is a user error (exit 2).

Hypothesis builds documents from the keys each schema knows (and some it does not), nested
values of every YAML type, and raw text mutations of them; each goes through the loader of
every YAML input llmaudit reads. Anything but success or an ``LlmauditError`` with exit code 2
(a ``KeyError``, a ``TypeError``, a recursion error) is a bug the CLI would show as exit 3.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmaudit.config import load_config
from llmaudit.errors import EXIT_BAD_INPUT, LlmauditError
from llmaudit.ingest.formats.generic_mapping import load_mapping
from llmaudit.pricing import load_pricing
from llmaudit.shadow.endpoints import load_endpoints
from llmaudit.simulate.policy import load_policy
from llmaudit.simulate.quality import load_quality
from llmaudit.tagging.rules import load_tag_rules

TABLE = load_pricing()

# The keys each file kind knows at its top level, and a few it does not.
KEYS = {
    "policy": ["schema_version", "name", "description", "tiers", "routes", "unknown", "billing", "cache", "default"],
    "tag_rules": ["version", "keywords", "hard_patterns", "rules", "high_stakes", "round_up_margin"],
    "pricing": ["schema_version", "source", "as_of", "provider", "models", "aliases", "sellers"],
    "quality": ["version", "scale", "floor", "floors", "scores", "requests", "evidence"],
    "config": ["logs", "pricing", "policies", "quality", "tag_rules", "timezone", "check"],
    "mapping": ["version", "fields", "input_includes_cache", "output_includes_reasoning", "timestamp_unit"],
    "endpoints": ["version", "endpoints", "defaults"],
}
NAMES = ["gpt-4o", "o3", "tier", "budget", "match", "to", "model", "input", "output", "0", "1", "-1", "default"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(NAMES),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


def documents(kind: str) -> st.SearchStrategy[str]:
    keys = st.sampled_from(KEYS[kind]) | st.text(max_size=8)
    built = st.dictionaries(keys, values, max_size=6).map(lambda d: yaml.safe_dump(d, allow_unicode=True))
    mutated = st.tuples(
        built,
        st.integers(0, 200),
        st.sampled_from(["", ":", "- ", "&a ", "*a", "{", "'", "\t", "!!python/object:os.system "]),
    ).map(lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :])
    return built | mutated | st.text(max_size=60)


def _mapping(path: Path) -> Any:
    return load_mapping({"mapping": path})


LOADERS: dict[str, Callable[[Path], Any]] = {
    "policy": load_policy,
    "tag_rules": load_tag_rules,
    "pricing": lambda path: load_pricing([path], include_shipped=False),
    "quality": lambda path: load_quality(path, TABLE),
    "config": load_config,
    "mapping": _mapping,
    "endpoints": load_endpoints,
}


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_random_yaml_loads_or_is_a_user_error(kind: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp(kind)

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(documents(kind))
    def check(text: str) -> None:
        path = folder / f"{kind}.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            LOADERS[kind](path)
        except LlmauditError as exc:
            assert exc.exit_code == EXIT_BAD_INPUT, (text, exc)

    check()
