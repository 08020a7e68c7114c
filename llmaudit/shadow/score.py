"""Scoring a candidate's answer against the logged answer, on a 0-1 scale.

- ``match`` (classification and extraction, or any request that asked for JSON): when
  the logged answer is JSON, the share of its top-level keys whose values the candidate
  gives equal (1 for equal JSON, 0 when the candidate's answer is not JSON); otherwise
  1 when the two answers are equal after normalizing case, spaces and end punctuation.
- ``judge`` (open-ended tasks, with ``--judge MODEL``): the judge compares the two
  answers twice, in both orders, to cancel position bias; each verdict gives 1 when the
  candidate is at least as good as the logged answer (a tie counts), else 0; the score
  is the mean of the two (0, 0.5 or 1).
- ``scorer`` (``--scorer CMD``): a command of the user's, run without a shell, reads one
  JSON object on stdin and prints a number in 0-1.
"""

from __future__ import annotations

import json
import math
import re
import shlex
import subprocess
from typing import Any, Final

from llmaudit.errors import UsageError

MATCH_TASKS: Final = frozenset({"classification", "extraction"})
_SPACE = re.compile(r"\s+")
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def normalize(text: str) -> str:
    return _SPACE.sub(" ", text).strip().strip(".!;:").strip().casefold()


def _json(text: str) -> Any:
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1)
    try:
        return json.loads(body)
    except ValueError:
        return _NOT_JSON


_NOT_JSON: Final = object()


def match_score(candidate: str, logged: str) -> float:
    """The ``match`` score of ``candidate`` against ``logged`` (see the module docstring)."""
    expected = _json(logged)
    if expected is _NOT_JSON or not isinstance(expected, (dict, list)):
        return float(normalize(candidate) == normalize(logged))
    got = _json(candidate)
    if got is _NOT_JSON:
        return 0.0
    if got == expected:
        return 1.0
    if isinstance(expected, dict) and isinstance(got, dict) and expected:
        return sum(1 for k, v in expected.items() if k in got and got[k] == v) / len(expected)
    return 0.0


JUDGE_SYSTEM: Final = (
    "You compare two answers to the same request. Judge which answer serves the request better: "
    "correctness first, then completeness, then clarity. Length alone is not quality. "
    'Reply with exactly one word: "A", "B", or "TIE".'
)


def judge_body(model: str, request: str, first: str, second: str) -> dict[str, Any]:
    """A judge request comparing answer A (``first``) with answer B (``second``)."""
    prompt = f"# Request\n{request}\n\n# Answer A\n{first}\n\n# Answer B\n{second}\n\nWhich is better: A, B or TIE?"
    return {
        "model": model,
        "messages": [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": prompt}],
        "max_tokens": 8,
        "temperature": 0,
    }


def verdict(text: str) -> str | None:
    """ "A", "B" or "TIE" from a judge's reply; None when it says none of them."""
    word = re.sub(r"[^A-Za-z]", " ", text).split()
    first = word[0].upper() if word else ""
    return first if first in ("A", "B", "TIE") else None


def judge_score(candidate_first: str | None, logged_first: str | None) -> float | None:
    """Mean of the two orders: the candidate at least as good as the logged answer scores 1.

    ``candidate_first`` is the verdict with the candidate as A, ``logged_first`` with it as B.
    A verdict the judge did not give leaves that order out; None when neither is usable.
    """
    wins = []
    if candidate_first is not None:
        wins.append(float(candidate_first in ("A", "TIE")))
    if logged_first is not None:
        wins.append(float(logged_first in ("B", "TIE")))
    return sum(wins) / len(wins) if wins else None


def run_scorer(command: str, record: dict[str, Any], timeout: float) -> float:
    """Run the user's scorer on one record; a clear ``UsageError`` for anything but a 0-1 number."""
    args = shlex.split(command)
    where = f"--scorer {command!r} on request {record.get('request_id')!r} ({record.get('candidate')})"
    try:
        done = subprocess.run(  # the user's own command, no shell
            args, input=json.dumps(record), capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise UsageError(f"--scorer: {args[0]!r}: no such command", hint="give a path or a command on PATH") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"{where}: no score within {timeout:g} s", hint="raise --scorer-timeout") from None
    if done.returncode != 0:
        err = (done.stderr.strip().splitlines() or [""])[-1]
        raise UsageError(f"{where}: exited with status {done.returncode}" + (f": {err}" if err else ""))
    try:
        value = float(done.stdout.strip())
    except ValueError:
        raise UsageError(
            f"{where}: printed {done.stdout.strip()[:60]!r}, not a number",
            hint="a scorer prints one number between 0 and 1 on stdout",
        ) from None
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise UsageError(f"{where}: score {value!r} is outside 0-1")
    return value
