"""Safe YAML loading that remembers where every value came from.

Every YAML file a user writes (price tables, column mappings, and later routing
policies and tagging rules) is loaded here with ``yaml.SafeLoader`` only, duplicate
keys are rejected, and each value's line is kept so validation errors can say
``file:line: field: problem``. Validation itself uses pydantic models with
``extra="forbid"``; :func:`validate` maps pydantic's error locations back to lines.

Policy files and tag rules reach CI from pull requests, so a file is untrusted: its size,
its nesting depth and the number of values it expands to (YAML aliases can make a few
lines stand for billions of values) are bounded, a self-referencing alias is refused, and
a number too long to convert is an error, each as ``ConfigError`` (exit 2) with the line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from llmaudit.errors import ConfigError, LlmauditError

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """The base of every schema of a file a user writes (price tables, policies, tag rules, quality
    scores, endpoints, llmaudit.yaml): an unknown field is an error, never silently ignored (a typo
    would otherwise change nothing and say nothing), and a loaded value is frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class YamlDoc:
    """A parsed YAML document plus the 1-based line of every mapping key and item."""

    path: str
    data: Any
    lines: Mapping[Loc, int]

    def line_of(self, loc: Loc) -> int | None:
        """Line of the deepest known prefix of ``loc`` (pydantic locs can go deeper)."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None

    def where(self, loc: Loc) -> str:
        line = self.line_of(loc)
        return f"{self.path}:{line}" if line is not None else self.path


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
# Bounds on untrusted YAML. The largest file llmaudit ships (the LiteLLM price snapshot)
# is a few MB and a few hundred thousand values, nested 6 deep.
MAX_BYTES: Final = 64 * 1024 * 1024
MAX_DEPTH: Final = 64
MAX_VALUES: Final = 500_000
# libyaml's parser when PyYAML was built with it (several times faster); both are safe.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Budget:
    """What one document may still expand to, and the collection nodes being built (a node
    met again inside itself is an alias cycle)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.values = 0
        self.open: set[int] = set()

    def enter(self, node: yaml.Node, depth: int) -> None:
        self.values += 1
        line = node.start_mark.line + 1
        if self.values > MAX_VALUES:
            raise ConfigError(
                f"{self.path}:{line}: invalid YAML: the document expands to more than {MAX_VALUES:,} values",
                hint="YAML aliases (*name) repeat what they point at; write the values out or use fewer aliases",
            )
        if depth > MAX_DEPTH:
            raise ConfigError(f"{self.path}:{line}: invalid YAML: nested more than {MAX_DEPTH} levels deep")
        if id(node) in self.open:
            raise ConfigError(f"{self.path}:{line}: invalid YAML: an alias refers to a value that contains it")


def _not_allowed(path: str, node: yaml.Node) -> ConfigError:
    return ConfigError(
        f"{path}:{node.start_mark.line + 1}: invalid YAML: tag {node.tag!r} is not allowed",
        hint="llmaudit reads plain YAML values only; remove the '!' tag",
    )


def _construct(
    node: yaml.Node, loc: Loc, lines: dict[Loc, int], path: str, loader: yaml.SafeLoader, budget: _Budget
) -> Any:
    budget.enter(node, len(loc))
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        budget.open.add(id(node))
        try:
            return _construct_collection(node, loc, lines, path, loader, budget)
        finally:
            budget.open.discard(id(node))
    # Scalars: SafeLoader's resolver decides int/float/bool/null/str/date; unknown tags fail,
    # with the same one-line message as on a collection (PyYAML's names its own source).
    if node.tag not in loader.yaml_constructors:
        raise _not_allowed(path, node)
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}:{node.start_mark.line + 1}: invalid YAML: {exc}") from None
    except ValueError as exc:  # an integer of thousands of digits (Python's conversion limit), a bad date
        raise ConfigError(f"{path}:{node.start_mark.line + 1}: invalid YAML value: {exc}") from None


def _construct_collection(
    node: yaml.MappingNode | yaml.SequenceNode,
    loc: Loc,
    lines: dict[Loc, int],
    path: str,
    loader: yaml.SafeLoader,
    budget: _Budget,
) -> Any:
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
        raise _not_allowed(path, node)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ConfigError(
                    f"{path}:{key_node.start_mark.line + 1}: YAML merge keys ('<<') are not supported",
                    hint="write the values out in full",
                )
            key = _construct(key_node, (*loc, "<key>"), {}, path, loader, budget)
            if isinstance(key, (list, dict)):
                raise ConfigError(f"{path}:{key_node.start_mark.line + 1}: a mapping key must be a scalar")
            if key in out:
                raise ConfigError(
                    f"{path}:{key_node.start_mark.line + 1}: duplicate key {key!r}",
                    hint="each key may appear once in a mapping; delete or merge the repeated entry",
                )
            child_loc = (*loc, key)
            lines[child_loc] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, child_loc, lines, path, loader, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            items.append(_construct(item, (*loc, index), lines, path, loader, budget))
        return items


def _check_size(size: int, shown: str) -> None:
    if size > MAX_BYTES:
        raise ConfigError(f"{shown}: larger than {MAX_BYTES // (1024 * 1024)} MiB; llmaudit does not read YAML so big")


# Nesting the composer survives (libyaml's crashes the process somewhere past 20,000 levels).
_SAFE_TO_COMPOSE: Final = 10_000
_LINE_PREFIX: Final = re.compile(r"(?m)^[ \t?-]*")


def _could_be_deep(text: str) -> bool:
    """Whether ``text`` could nest past ``_SAFE_TO_COMPOSE``: each flow level needs a ``[`` or
    ``{``, each block level a deeper indent or one more ``- `` / ``? `` at the start of a line.
    An over-estimate, cheap next to parsing: most files skip the event scan."""
    opens = text.count("[") + text.count("{")
    if opens > _SAFE_TO_COMPOSE:
        return True
    prefix = max((len(m) for m in _LINE_PREFIX.findall(text)), default=0)
    return opens + prefix > _SAFE_TO_COMPOSE


def _check_depth(text: str, shown: str) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` before composing: the composer recurses (the
    C one crashes the process on nesting 100,000 deep). The event stream is flat. Text that
    cannot nest that deep is composed directly; ``_construct`` still bounds its depth."""
    if not _could_be_deep(text):
        return
    depth = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark is not None else 1
                raise ConfigError(f"{shown}:{line}: invalid YAML: nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load_yaml(path: str | Path, *, text: str | None = None) -> YamlDoc:
    """Load one YAML document safely, keeping the line of every key.

    Raises ``ConfigError`` (exit 2) for unreadable files, syntax errors, duplicate keys
    and multi-document files.
    """
    shown = str(path)
    if text is None:
        try:
            with Path(path).open("rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
            _check_size(len(raw), shown)
            text = raw.decode("utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{shown}: no such file") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{shown}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except OSError as exc:
            raise ConfigError(f"{shown}: cannot read ({exc.strerror})") from None
    _check_size(len(text), shown)
    try:
        _check_depth(text, shown)
        nodes = list(yaml.compose_all(text, Loader=_LOADER))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{shown}:{mark.line + 1}" if mark is not None else shown
        raise ConfigError(f"{where}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{shown}: invalid YAML: {exc}") from None
    except RecursionError:  # the pure-Python composer on nesting thousands deep
        raise ConfigError(f"{shown}: invalid YAML: nested more than {MAX_DEPTH} levels deep") from None
    if len(nodes) > 1:
        raise ConfigError(f"{shown}: holds {len(nodes)} YAML documents; llmaudit reads exactly one")
    if not nodes or nodes[0] is None:
        return YamlDoc(shown, None, {})
    lines: dict[Loc, int] = {}
    data = _construct(nodes[0], (), lines, shown, yaml.SafeLoader(""), _Budget(shown))
    return YamlDoc(shown, data, lines)


def _describe(loc: Loc) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def validate(
    doc: YamlDoc,
    model: type[M],
    *,
    error: type[LlmauditError] = ConfigError,
    what: str = "file",
    data: Any = None,
) -> M:
    """Validate ``doc.data`` (or ``data``) against a pydantic model.

    Raises ``error`` listing up to ten problems, each as ``file:line: field: message``.
    """
    payload = doc.data if data is None else data
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        problems = []
        for item in exc.errors()[:10]:
            loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            message = item["msg"]
            if item["type"] == "extra_forbidden":
                message = "unknown field (check the spelling against the documented schema)"
            elif item["type"] == "value_error":  # pydantic's prefix says nothing to the user
                message = message.removeprefix("Value error, ")
            problems.append(f"{doc.where(loc)}: {_describe(loc)}: {message}")
        more = len(exc.errors()) - len(problems)
        tail = f"\n  ... and {more} more" if more > 0 else ""
        raise error(f"invalid {what}:\n  " + "\n  ".join(problems) + tail) from None
