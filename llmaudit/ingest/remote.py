"""Logs where they live: URLs (``s3://``, ``gs://``, ``az://``, ``https://``...) through fsspec,
and Hive-style partitions (``date=2026-11-01/``) left unread when --since/--until exclude them.

fsspec and the filesystem of each protocol (s3fs, gcsfs, adlfs, aiohttp) are optional
extras, imported only when a URL is given. ``file://`` URLs are plain paths.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import IO, Any, Final

import pandas as pd

from llmaudit.errors import InputError, UsageError

_SCHEME: Final = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*)://")
# The extra that brings each protocol's filesystem.
EXTRAS: Final = {"s3": "s3", "s3a": "s3", "gs": "gs", "gcs": "gs", "az": "az", "abfs": "az", "abfss": "az"}
EXTRAS_WEB: Final = {"http": "http", "https": "http"}
_PART: Final = re.compile(r"(?:^|/)(date|dt|day|year|month)=([0-9-]+)(?=/|$)")


def is_url(item: str) -> bool:
    """A URL other than ``file://`` (those are read as paths)."""
    match = _SCHEME.match(item)
    return match is not None and match.group(1).lower() != "file"


def local_path(item: str) -> str:
    """``file:///x/y`` as ``/x/y``; anything else unchanged."""
    return item[len("file://") :] if item.lower().startswith("file://") else item


def _filesystem(url: str) -> tuple[Any, str]:
    scheme = (_SCHEME.match(url) or re.match("", "")).group(1).lower()  # type: ignore[union-attr]
    extra = EXTRAS.get(scheme) or EXTRAS_WEB.get(scheme)
    install = f'pip install "llm-cost-audit[{extra}]"' if extra else "install the fsspec filesystem for it"
    try:
        import fsspec
    except ImportError:
        raise UsageError(f"{url}: reading URLs needs fsspec, which is not installed", hint=install) from None
    try:
        return fsspec.core.url_to_fs(url)  # type: ignore[no-any-return]
    except (ImportError, ValueError) as exc:
        raise UsageError(f"{url}: cannot read {scheme}:// URLs here ({exc})", hint=install) from None


def expand_url(url: str, suffixes: Sequence[str]) -> list[str]:
    """The log files a URL names: itself, the matches of a glob, or the log files under a
    "directory" (a prefix), sorted. ``InputError`` when it names nothing."""
    fs, path = _filesystem(url)
    web = url.lower().startswith(("http://", "https://"))  # no listing over plain HTTP

    def full(p: str) -> str:
        return str(fs.unstrip_protocol(p))

    try:
        if not web and any(ch in path for ch in "*?["):
            found = sorted(fs.glob(path))
            if not found:
                raise InputError(f"{url}: the pattern matches no files")
            return [full(p) for p in found if _is_log(p, suffixes)] or [full(p) for p in found]
        if not web and fs.isdir(path):
            found = sorted(p for p in fs.find(path) if _is_log(p, suffixes))
            if not found:
                raise InputError(
                    f"{url}: holds no log files", hint=f"llmaudit reads files ending in {', '.join(suffixes)}"
                )
            return [full(p) for p in found]
        if not fs.exists(path):
            raise InputError(f"{url}: no such file")
    except (OSError, PermissionError) as exc:
        raise InputError(f"{url}: cannot list ({exc})") from None
    return [url]


def _is_log(path: str, suffixes: Sequence[str]) -> bool:
    name = path.rsplit("/", 1)[-1]
    name = name[:-3] if name.endswith(".gz") else name
    return not name.startswith((".", "_")) and name.endswith(tuple(suffixes))


def open_url(url: str, display: str) -> IO[bytes]:
    """A binary stream of the object at ``url``; ``InputError`` naming it when it cannot be opened."""
    fs, path = _filesystem(url)
    try:
        return fs.open(path, "rb")  # type: ignore[no-any-return]
    except (OSError, PermissionError) as exc:
        raise InputError(f"{display}: cannot open ({exc})") from None


def url_size(url: str) -> int | None:
    fs, path = _filesystem(url)
    try:
        size = fs.size(path)
    except (OSError, NotImplementedError):
        return None
    return int(size) if size is not None else None


def partition_days(path: str) -> tuple[date, date] | None:
    """The UTC days ``[first, last]`` a Hive-style partitioned path holds, from its
    ``date=``/``dt=`` (or ``year=``/``month=``/``day=``) folders; None when it has none."""
    values = dict(_PART.findall(path.replace("\\", "/")))
    try:
        for key in ("date", "dt", "day"):
            text = values.get(key, "")
            if len(text) in (8, 10):
                day = date.fromisoformat(text if "-" in text else f"{text[:4]}-{text[4:6]}-{text[6:]}")
                return day, day
        if "year" in values:
            year = int(values["year"])
            if "month" not in values:
                return date(year, 1, 1), date(year, 12, 31)
            month = int(values["month"])
            if "day" in values:
                day = date(year, month, int(values["day"]))
                return day, day
            following = date(year + month // 12, month % 12 + 1, 1)
            return date(year, month, 1), following - timedelta(days=1)
    except ValueError:
        return None
    return None


def outside_period(path: str, since: pd.Timestamp | None, until: pd.Timestamp | None) -> bool:
    """Whether a partition's days lie wholly outside ``[since, until)`` (UTC)."""
    days = partition_days(path)
    if days is None or (since is None and until is None):
        return False
    first = pd.Timestamp(days[0], tz="UTC")
    end = pd.Timestamp(days[1], tz="UTC") + pd.Timedelta(days=1)
    return (until is not None and first >= until) or (since is not None and end <= since)
