"""simulate: replay real traffic under candidate routing policies."""

from llmaudit.simulate.policy import Policy, load_policy
from llmaudit.simulate.replay import Replayed, observed_failure_rates, replay

__all__ = ["Policy", "Replayed", "load_policy", "observed_failure_rates", "replay"]
