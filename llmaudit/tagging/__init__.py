"""Task type and complexity tier of every request, with a confidence and the reasons.

Rules data (``lexicon.yaml``, the user's ``--tag-rules`` file) is kept apart from the
engine. See docs/tagging.md.
"""

from llmaudit.tagging.engine import TIER_NAMES, TIERS, tag_requests
from llmaudit.tagging.lexicon import TASK_TYPES
from llmaudit.tagging.rules import TagRules, load_tag_rules
from llmaudit.tagging.sample import redact, sample_by_class

__all__ = [
    "TASK_TYPES",
    "TIERS",
    "TIER_NAMES",
    "TagRules",
    "load_tag_rules",
    "redact",
    "sample_by_class",
    "tag_requests",
]
