"""Which scoring mode each sampled request gets, the judge's requests, and the scores table.

A ``--scorer`` command grades every answer. Otherwise classification and extraction
requests, and requests that asked for JSON, are scored by ``match``; the others by the
judge when ``--judge`` is given, else they stay unscored (counted by reason).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from llmaudit.shadow.client import Reply
from llmaudit.shadow.endpoints import Endpoint
from llmaudit.shadow.payload import payload_hash
from llmaudit.shadow.run import Job
from llmaudit.shadow.score import MATCH_TASKS, judge_body, judge_score, match_score, run_scorer, verdict


def mode(row: dict[str, Any], judge: bool, scorer: bool) -> str | None:
    if scorer:
        return "scorer"
    if row.get("task_type") in MATCH_TASKS or bool(row.get("structured_output")):
        return "match"
    return "judge" if judge else None


def _logged(row: dict[str, Any]) -> str | None:
    text = row.get("completion_text")
    return text if isinstance(text, str) and text.strip() else None


def _request(row: dict[str, Any]) -> str:
    return str(row.get("prompt_text") or row.get("user_text") or "")


def judge_jobs(
    sample: pd.DataFrame, replies: dict[tuple[str, str], Reply], candidates: list[str], judge: Endpoint
) -> list[Job]:
    """Two judge requests (both orders) per open-ended request answered by each candidate."""
    jobs = []
    for row in sample.to_dict("records"):
        logged = _logged(row)
        if logged is None or mode(row, True, False) != "judge":
            continue
        rid = str(row["request_id"])
        for cand in candidates:
            reply = replies.get((rid, cand))
            if reply is None or reply.text is None:
                continue
            for order, (a, b) in (("candidate first", (reply.text, logged)), ("logged first", (logged, reply.text))):
                body = judge_body(judge.model, _request(row), a, b)
                est_in = int((len(body["messages"][1]["content"]) + len(body["messages"][0]["content"])) / 4)
                jobs.append(
                    Job(rid, judge, body, payload_hash(body, judge.base_url), est_in, 2, _judge_key(judge, cand, order))
                )
    return jobs


def judge_estimate(sample: pd.DataFrame, candidates: int) -> tuple[int, int, int]:
    """(requests, input tokens, output tokens) the judge will see at most: two orders per
    open-ended request with a logged answer and candidate; each shows the request and two
    answers (the candidate's taken as long as the logged one)."""
    rows = [r for r in sample.to_dict("records") if _logged(r) is not None and mode(r, True, False) == "judge"]
    per = sum(int(r.get("input_tokens") or 0) + 2 * int(r.get("output_tokens") or 0) + 80 for r in rows)
    return 2 * candidates * len(rows), 2 * candidates * per, 2 * candidates * len(rows) * 2


def _judge_key(judge: Endpoint, candidate: str, order: str) -> str:
    return f"judge {judge.candidate}: {candidate}, {order}"


@dataclass
class Graded:
    scores: pd.DataFrame
    """request_id, model, task_type, tier, mode, score: one row per scored answer."""
    unscored: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(candidate, reason) -> answers left unscored."""


def grade(
    sample: pd.DataFrame,
    replies: dict[tuple[str, str], Reply],
    candidates: list[str],
    *,
    judge: Endpoint | None = None,
    scorer: str | None = None,
    scorer_timeout: float = 30.0,
) -> Graded:
    rows: list[dict[str, Any]] = []
    unscored: Counter[tuple[str, str]] = Counter()
    for row in sample.to_dict("records"):
        rid = str(row["request_id"])
        how = mode(row, judge is not None, scorer is not None)
        logged = _logged(row)
        for cand in candidates:
            reply = replies.get((rid, cand))
            if reply is None or reply.text is None:
                unscored[(cand, "no answer")] += 1
                continue
            score: float | None = None
            if how is None:
                unscored[(cand, "open-ended (no --judge)")] += 1
                continue
            if logged is None and how != "scorer":
                unscored[(cand, "no logged answer")] += 1
                continue
            if how == "match":
                score = match_score(reply.text, logged or "")
            elif how == "scorer":
                record = {
                    "request_id": rid,
                    "candidate": cand,
                    "task_type": row.get("task_type"),
                    "complexity_tier": int(row.get("complexity_tier") or 0),
                    "system": row.get("system_text"),
                    "prompt": _request(row),
                    "logged_model": row.get("model"),
                    "logged_answer": logged,
                    "candidate_answer": reply.text,
                }
                score = run_scorer(scorer or "", record, scorer_timeout)
            elif judge is not None:
                first = replies.get((rid, _judge_key(judge, cand, "candidate first")))
                second = replies.get((rid, _judge_key(judge, cand, "logged first")))
                score = judge_score(
                    verdict(first.text) if first and first.text else None,
                    verdict(second.text) if second and second.text else None,
                )
                if score is None:
                    unscored[(cand, "no judge verdict")] += 1
                    continue
            rows.append(
                {
                    "request_id": rid,
                    "model": cand,
                    "task_type": str(row.get("task_type") or "unknown"),
                    "tier": int(row.get("complexity_tier") or 0),
                    "mode": how,
                    "score": float(score),  # type: ignore[arg-type]
                }
            )
    columns = ["request_id", "model", "task_type", "tier", "mode", "score"]
    return Graded(pd.DataFrame(rows, columns=columns), unscored)
