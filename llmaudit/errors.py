"""The one family of errors llmaudit raises on purpose.

Every error a user can cause (a bad file, a bad option, a bad price table) is an
``LlmauditError`` subclass carrying the process exit code. The CLI turns it into one
``llmaudit: error: ...`` line on stderr; anything else reaching the CLI is a bug
(exit 3). Messages name the file, line and field, and say how to fix the problem.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class LlmauditError(Exception):
    """Base class: a user-facing error with an exit code."""

    exit_code: int = EXIT_BAD_INPUT

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class InputError(LlmauditError):
    """A log file cannot be found, read, recognized or yields no usable records."""


class MalformedRecordError(InputError):
    """A record is unusable and ``--strict`` asked for the first one to be fatal."""


class PricingError(LlmauditError):
    """A price table is missing, malformed or implausible."""


class ConfigError(LlmauditError):
    """A YAML file the user wrote (mapping, rules, policy, config) is invalid."""


class UsageError(LlmauditError):
    """Options that do not fit together."""
