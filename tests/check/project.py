"""A small synthetic project for ``llmaudit check``: logs, prices, tagging rules, a policy.

Everything is chosen so costs can be worked out by hand:

- the period runs from the first to the last timestamp, exactly ``DAYS_PER_MONTH``
  (30.4375 days = 2,629,800 s), so one logged period *is* one month;
- two models of a user price table (USD per million tokens, no other rates):
  ``frontier-x`` input 10, output 30; ``budget-y`` input 1, output 2;
- tagging rules fix the task type and tier by feature: ``support-chat`` -> chat, tier 1;
  ``ticket-classify`` -> classification, tier 0;
- a chat request reads 100,000 and writes 50,000 tokens, a classification request reads
  200,000 and writes 10,000, every one logged on ``frontier-x``.

So a chat request costs 100,000 x 10/1e6 + 50,000 x 30/1e6 = 1.00 + 1.50 = $2.50 on
frontier-x and 100,000 x 1/1e6 + 50,000 x 2/1e6 = 0.10 + 0.10 = $0.20 on budget-y; a
classification request 2.00 + 0.30 = $2.30 on frontier-x and 0.20 + 0.02 = $0.22 on
budget-y.
"""

from __future__ import annotations

import json
from pathlib import Path

SECONDS_PER_MONTH = 2_629_800  # 30.4375 days

PRICES = """\
schema_version: 1
name: team-prices
source: test fixture
as_of: 2026-01-01
models:
  frontier-x: {{provider: acme, input: 10, output: {frontier_output}}}
  budget-y: {{provider: acme, input: 1, output: 2}}
"""

TAGS = """\
rules:
  - match: {feature: support-chat}
    task_type: chat
    tier: 1
  - match: {feature: ticket-classify}
    task_type: classification
    tier: 0
"""

# The base policy: chat to the budget tier, everything else stays where it was logged.
POLICY_BASE = """\
schema_version: 1
name: prod
tiers:
  budget: [budget-y]
  frontier: [frontier-x]
routes:
  - name: chat
    match: {task_type: [chat]}
    to: {tier: budget}
"""

CONFIG = """\
logs: [logs/]
pricing: [prices.yaml]
policies: [policy.yaml]
tag_rules: tags.yaml
check:
  max_increase_pct: 10
  min_change_usd: 0.50
"""


def _record(i: int, at: int, feature: str, tokens_in: int, tokens_out: int) -> str:
    """One wrapped OpenAI record ``at`` seconds after 2026-01-01T00:00:00Z."""
    stamp = f"2026-01-{1 + at // 86400:02d}T{at % 86400 // 3600:02d}:{at % 3600 // 60:02d}:{at % 60:02d}Z"
    return json.dumps(
        {
            "timestamp": stamp,
            "request": {
                "model": "frontier-x",
                "messages": [{"role": "user", "content": f"request {i}"}],
                "metadata": {"feature": feature},
            },
            "response": {
                "id": f"r{i}",
                "object": "chat.completion",
                "model": "frontier-x",
                "usage": {"prompt_tokens": tokens_in, "completion_tokens": tokens_out},
            },
        },
        sort_keys=True,
    )


def logs(chat: int = 10, classify: int = 10) -> str:
    """``chat`` + ``classify`` requests over exactly one month (first at 0 s, last at 2,629,800 s)."""
    kinds = [("ticket-classify", 200_000, 10_000)] * classify + [("support-chat", 100_000, 50_000)] * chat
    last = len(kinds) - 1
    lines = [_record(i, i * SECONDS_PER_MONTH // last, *kind) for i, kind in enumerate(kinds)]
    return "\n".join(lines) + "\n"


def write_project(root: Path, *, chat: int = 10, classify: int = 10, frontier_output: float = 30) -> Path:
    """The project's files under ``root`` (created); returns ``root``."""
    (root / "logs").mkdir(parents=True, exist_ok=True)
    (root / "logs" / "requests.jsonl").write_text(logs(chat, classify), encoding="utf-8")
    (root / "prices.yaml").write_text(PRICES.format(frontier_output=frontier_output), encoding="utf-8")
    (root / "tags.yaml").write_text(TAGS, encoding="utf-8")
    (root / "policy.yaml").write_text(POLICY_BASE, encoding="utf-8")
    (root / "llmaudit.yaml").write_text(CONFIG, encoding="utf-8")
    return root
