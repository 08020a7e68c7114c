"""Ingest: log files in many formats -> canonical request frames (inclusive token counts)."""

from llmaudit.ingest.accounting import SKIP_REASONS, FileStats, IngestStats
from llmaudit.ingest.reader import IngestOptions, Observer, RequestReader
from llmaudit.ingest.registry import format_choices, formats, get_format
from llmaudit.ingest.sources import InputSource, expand_inputs

__all__ = [
    "SKIP_REASONS",
    "FileStats",
    "IngestOptions",
    "IngestStats",
    "InputSource",
    "Observer",
    "RequestReader",
    "expand_inputs",
    "format_choices",
    "formats",
    "get_format",
]
