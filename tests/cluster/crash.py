"""A read task that kills its worker process the first time it reads a range after a
file's first (a marker file next to the log says it already did): the scheduler must run it
again on a worker that is alive, and the records must be counted once."""

from __future__ import annotations

import os
from typing import Any

from llmaudit.cluster.tasks import Part, read_part


def read_part_dying_once(source: Any, *args: Any) -> Part:
    if source.path is not None and source.byte_range is not None and source.byte_range.start > 0:
        marker = source.path.with_name(source.path.name + ".crashed")
        if not marker.exists():
            marker.write_text("a worker exited here once\n")
            os._exit(1)  # the worker process dies mid-run
    return read_part(source, *args)
