"""Where log bytes come from: files, directories, globs, stdin, gzip.

``expand_inputs`` turns the LOGS arguments into an ordered list of sources (URLs through
fsspec: ``llmaudit.ingest.remote``);
``open_source`` gives a binary stream, transparently decompressing gzip (detected by
its magic bytes, whatever the file is called).
"""

from __future__ import annotations

import glob
import gzip
import io
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from llmaudit.errors import InputError
from llmaudit.ingest.ranges import ByteRange
from llmaudit.ingest.remote import expand_url, is_url, local_path, open_url, url_size

# Files picked up when a directory is given. Anything else in the directory (a README,
# a generator script) is left alone.
LOG_SUFFIXES: Final = (".jsonl", ".ndjson", ".json", ".csv", ".log", ".parquet")
STDIN: Final = "-"


@dataclass(frozen=True)
class InputSource:
    """One input: a file path, or stdin when ``path`` is None; a cluster task reads only
    ``byte_range`` of the file (``llmaudit.cluster``)."""

    display: str
    path: Path | None
    byte_range: ByteRange | None = None
    # A log read through fsspec (s3://, https://...; ``llmaudit.ingest.remote``): path is None.
    url: str | None = None

    @property
    def is_stdin(self) -> bool:
        return self.path is None and self.url is None

    @property
    def size(self) -> int | None:
        """Size on disk in bytes (compressed size for .gz), None for stdin."""
        if self.url is not None:
            return url_size(self.url)
        return self.path.stat().st_size if self.path is not None else None


def _is_log_file(path: Path) -> bool:
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    return path.is_file() and not path.name.startswith(".") and name.endswith(LOG_SUFFIXES)


def expand_inputs(items: Sequence[str]) -> list[InputSource]:
    """Expand LOGS arguments, in the order given, each directory sorted recursively.

    Raises ``InputError`` for a path that does not exist, a glob that matches nothing,
    a directory holding no log files, or an empty argument list.
    """
    if not items:
        raise InputError("no log files given", hint="pass one or more files, directories or globs, or - for stdin")
    sources: list[InputSource] = []
    seen: set[Path] = set()
    urls: set[str] = set()

    def add(path: Path) -> None:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            sources.append(InputSource(str(path), path))

    for item in items:
        if item == STDIN:
            sources.append(InputSource("<stdin>", None))
            continue
        if is_url(item):
            for url in expand_url(item, LOG_SUFFIXES):
                if url not in urls:
                    urls.add(url)
                    sources.append(InputSource(url, None, url=url))
            continue
        item = local_path(item)
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if _is_log_file(p))
            if not found:
                raise InputError(
                    f"{item}: directory holds no log files",
                    hint=f"llmaudit reads files ending in {', '.join(LOG_SUFFIXES)} (optionally .gz)",
                )
            for p in found:
                add(p)
        elif path.is_file():
            add(path)
        elif any(ch in item for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(item, recursive=True) if Path(p).is_file())
            if not matches:
                raise InputError(f"{item}: the pattern matches no files")
            for p in matches:
                add(p)
        elif path.exists():
            raise InputError(f"{item}: not a regular file or directory")
        else:
            raise InputError(f"{item}: no such file or directory")
    return sources


class _CountingReader(io.RawIOBase):
    """Counts raw (possibly compressed) bytes read, for progress reporting."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        readinto = getattr(self.raw, "readinto", None)
        if readinto is not None:
            n = readinto(buffer) or 0
        else:
            data = self.raw.read(len(buffer))
            n = len(data)
            buffer[:n] = data
        self.count += n
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


class _TolerantGzip(io.RawIOBase):
    """Gzip content that ends quietly where the compressed stream is damaged.

    A truncated file, a corrupt block, a bad CRC or trailing garbage would otherwise raise
    in the middle of reading; here the bytes decompressed before the damage are all
    delivered, then the stream ends and ``damage`` says what went wrong. ``read1`` never
    decompresses more than one input block, so nothing before the damage is lost.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._gzip = gzip.GzipFile(fileobj=raw, mode="rb")
        self.damage: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.damage is not None:
            return 0
        try:
            data = self._gzip.read1(len(buffer))
        except EOFError:
            self.damage = "the compressed stream ends early (the file is truncated)"
            return 0
        except (gzip.BadGzipFile, zlib.error, OSError) as exc:
            self.damage = f"the compressed stream is damaged ({exc})"
            return 0
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._gzip.close()
        super().close()


@dataclass
class OpenedSource:
    """A readable stream of decompressed bytes and a counter of raw bytes consumed."""

    stream: BinaryIO
    raw_counter: _CountingReader
    compressed: bool
    decompressor: _TolerantGzip | None = None

    @property
    def damage(self) -> str | None:
        """Why decompression stopped before the end of the file, if it did."""
        return self.decompressor.damage if self.decompressor is not None else None

    def close(self) -> None:
        self.stream.close()


def open_source(source: InputSource) -> OpenedSource:
    """Open a source for binary reading; gzip is detected from its magic bytes."""
    try:
        if source.url is not None:
            raw: BinaryIO = open_url(source.url, source.display)  # type: ignore[assignment]
        else:
            raw = sys.stdin.buffer if source.path is None else open(source.path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise InputError(f"{source.display}: cannot open ({exc.strerror})") from None
    counter = _CountingReader(raw)
    buffered = io.BufferedReader(counter, buffer_size=1 << 20)
    magic = buffered.peek(2)[:2]
    if magic == b"\x1f\x8b":
        decompressor = _TolerantGzip(buffered)  # type: ignore[arg-type]
        stream: BinaryIO = io.BufferedReader(decompressor, buffer_size=1 << 20)  # type: ignore[assignment]
        return OpenedSource(stream, counter, True, decompressor)
    return OpenedSource(buffered, counter, False)  # type: ignore[arg-type]
