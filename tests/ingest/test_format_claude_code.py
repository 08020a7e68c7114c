"""Claude Code session logs (fixtures: tests/fixtures/logs/claude_code).

``message.usage.input_tokens`` excludes the cache; each expected count below is worked out
from the fixture's raw fields in the comment beside it. Files are read in path order: the
cli session, then the two webapp sessions.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from llmaudit.ingest.formats import claude_code
from llmaudit.ingest.formats.claude_code import claude_code_dirs
from tests.conftest import LOGS, TOKENS, read_all, write_lines
from tests.conftest import token_rows as tokens_of

TREE = LOGS / "claude_code" / "projects"  # the ~/.claude/projects tree (untyped/ is apart)
PROJECTS = TREE
CLI = PROJECTS / "-home-dev-cli" / "33333333-cccc-4ccc-8ccc-333333333333.jsonl"
FIRST = PROJECTS / "-home-dev-webapp" / "11111111-aaaa-4aaa-8aaa-111111111111.jsonl"
RESUMED = PROJECTS / "-home-dev-webapp" / "22222222-bbbb-4bbb-8bbb-222222222222.jsonl"


def test_exclusive_usage_becomes_inclusive() -> None:
    frame, stats = read_all(TREE)
    assert [f.format for f in stats.files] == ["claude-code"] * 3
    assert frame["request_id"].tolist() == [
        "msg_05:req_005",
        "msg_06:req_006",
        "msg_07",  # no requestId: the message id alone
        "msg_01:req_001",
        "msg_02:req_002",
        "msg_03:req_003",
        "msg_04:req_004",
    ]
    assert tokens_of(frame) == [
        # msg_05: no cache fields: input as reported
        [100, 0, 0, 0, 20, 0],
        # msg_06: an API error: nothing billed
        [0, 0, 0, 0, 0, 0],
        # msg_07: 10 + 2000 read = 2010; output 45 from its last streamed line
        [2010, 2000, 0, 0, 45, 0],
        # msg_01 (docs/formats.md): 5 + 10000 read + 500 written = 10505; output 200, the largest
        #        of its streamed lines (12, 200, 200)
        [10505, 10000, 500, 0, 200, 0],
        # msg_02: 3 + 10500 + 2000 = 12503, all 2000 written with the 1h TTL
        [12503, 10500, 2000, 2000, 150, 0],
        # msg_03: 40 + 0 + 1200 = 1240; the 1200 written split 800 (5m) + 400 (1h)
        [1240, 0, 1200, 400, 60, 0],
        # msg_04: 8 in, 25 out
        [8, 0, 0, 0, 25, 0],
    ]
    assert frame["model"].tolist() == [
        "claude-haiku-4-5",
        "claude-opus-4-6",
        "claude-sonnet-4-5",
        "claude-opus-4-6",
        "claude-opus-4-6",
        "claude-sonnet-4-5",
        "claude-sonnet-4-5",
    ]
    assert (frame["provider"] == "anthropic").all()
    assert (frame["pricing_mode"] == "standard").all()


def test_streamed_lines_are_one_request_across_lines_and_files() -> None:
    frame, stats = read_all(TREE)
    # msg_01/req_001 is written 3 times in the first webapp session (lines 3-5) and once
    # more in the resumed one (line 2); msg_07 twice in the cli session (lines 4-5)
    assert (frame["request_id"] == "msg_01:req_001").sum() == 1
    assert sorted(stats.examples["duplicate_request_id"]) == sorted(
        [f"{CLI}:5", f"{FIRST}:4", f"{FIRST}:5", f"{RESUMED}:2"]
    )
    first = frame.set_index("request_id").loc["msg_01:req_001"]
    assert first["source_line"] == 3  # the first line is kept...
    assert first["output_tokens"] == 200  # ...with the final usage (its own said 12)
    assert first["finish_reason"] == "tool_use"  # and the stream's last stop reason
    assert first["timestamp"] == pd.Timestamp("2026-03-01T22:38:50Z")


def test_every_line_is_accounted_for_by_reason() -> None:
    _, stats = read_all(TREE)
    # 5 + 12 + 4 lines = 21 = 7 requests + 14 skipped
    assert (stats.lines_read, stats.parsed) == (21, 7)
    assert dict(stats.skipped) == {
        "not_a_request": 7,  # cli:1; first: 1 summary, 2, 6 user, 11 system, 12 snapshot; resumed:1
        "duplicate_request_id": 4,
        "synthetic_message": 2,  # first:9 "No response requested.", first:10 an API error notice
        "blank_line": 1,  # resumed:4
    }
    assert stats.examples["synthetic_message"] == [f"{FIRST}:9", f"{FIRST}:10"]
    assert stats.examples["blank_line"] == [f"{RESUMED}:4"]
    first_file = stats.files[1]
    assert first_file.skipped["not_a_request"] == 5


def test_strict_accepts_a_normal_session_tree() -> None:
    # user turns, summaries, synthetic notices and streamed repeats lose no data
    frame, _ = read_all(TREE, strict=True)
    assert len(frame) == 7


def test_not_a_request_lines_are_named() -> None:
    _, stats = read_all(FIRST)
    assert stats.examples["not_a_request"] == [f"{FIRST}:{n}" for n in (1, 2, 6, 11, 12)]


def test_attribution_status_and_source_cost() -> None:
    frame, _ = read_all(TREE)
    assert frame["session"].tolist() == ["33333333-cccc-4ccc-8ccc-333333333333"] * 3 + [
        "11111111-aaaa-4aaa-8aaa-111111111111"
    ] * 3 + ["22222222-bbbb-4bbb-8bbb-222222222222"]
    assert frame["project"].tolist() == ["/home/dev/cli"] * 3 + ["/home/dev/webapp"] * 4  # cwd
    tags = frame["tags"].tolist()
    assert pd.isna(tags[0])  # gitBranch "": no tag
    assert tags[3:] == ["branch:main"] * 3 + ["branch:feature/login"]
    assert frame["status"].tolist() == ["ok", "error"] + ["ok"] * 5
    assert frame["error_type"].iloc[1] == "overloaded_error"  # isApiErrorMessage with a real model
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2026-03-03T12:00:02Z")
    assert frame["source_cost_usd"].iloc[6] == pytest.approx(0.000399)  # costUSD of an older log
    assert frame["source_cost_usd"].iloc[:6].isna().all()


def test_prompt_text_is_left_empty() -> None:
    frame, _ = read_all(TREE)
    assert frame["prompt_text"].isna().all()
    assert frame["user_text"].isna().all()
    assert (frame["prompt_hash"] == 0).all()
    assert not frame["tokens_estimated"].any()


def test_a_response_split_across_chunks_keeps_the_first_chunks_usage(tmp_path: Path) -> None:
    lines = FIRST.read_text(encoding="utf-8").splitlines()
    frame, _ = read_all(FIRST, chunk_bytes=64)  # one line per chunk
    # msg_01's lines 3-5 now fall in three chunks: the first line's own output (12) is kept
    assert frame.set_index("request_id").loc["msg_01:req_001", "output_tokens"] == 12
    assert json.loads(lines[2])["message"]["usage"]["output_tokens"] == 12
    whole, _ = read_all(FIRST)
    same = [c for c in whole.columns if c not in ("output_tokens", "finish_reason")]
    pd.testing.assert_frame_equal(whole[same], frame[same])


def test_usage_without_message_id_is_not_deduplicated(tmp_path: Path) -> None:
    line = json.loads(CLI.read_text(encoding="utf-8").splitlines()[1])
    del line["message"]["id"], line["requestId"]
    frame, _ = read_all(write_lines(tmp_path / "s.jsonl", [json.dumps(line)] * 2))
    assert frame["request_id"].tolist() == [f"{tmp_path / 's.jsonl'}:1", f"{tmp_path / 's.jsonl'}:2"]
    assert frame[TOKENS].sum().tolist() == [200, 0, 0, 0, 40, 0]  # 2 x (100 in, 20 out)


@pytest.mark.parametrize("name", ["auto", "claude-code", "claude_code"])
def test_detection_and_forcing(name: str) -> None:
    frame, stats = read_all(TREE, input_format=name)
    assert [f.format for f in stats.files] == ["claude-code"] * 3
    assert len(frame) == 7


def test_sniff() -> None:
    assert claude_code.sniff({"type": "assistant", "sessionId": "s", "message": {}})
    assert claude_code.sniff({"type": "user", "sessionId": "s"})
    assert claude_code.sniff({"type": "summary", "summary": "x", "leafUuid": "u"})
    assert not claude_code.sniff({"type": "message", "usage": {"input_tokens": 1}})  # Anthropic API
    assert not claude_code.sniff({"type": "assistant"})


# --- where the logs are ---------------------------------------------------------------


def _projects(base: Path) -> Path:
    (base / "projects").mkdir(parents=True)
    return base / "projects"


def test_dirs_default_to_the_xdg_and_legacy_locations(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert claude_code_dirs(home=home, env={}) == []
    legacy = _projects(home / ".claude")
    assert claude_code_dirs(home=home, env={}) == [legacy]
    xdg = _projects(home / ".config" / "claude")
    assert claude_code_dirs(home=home, env={}) == [xdg, legacy]  # the XDG location first, as ccusage
    custom = _projects(tmp_path / "xdg" / "claude")
    assert claude_code_dirs(home=home, env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")}) == [custom, legacy]


def test_dirs_from_claude_config_dir_replace_the_defaults(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _projects(home / ".claude")
    one = _projects(tmp_path / "one")
    two = _projects(home / "two")
    (tmp_path / "empty").mkdir()  # no projects/ inside: not listed
    env = {"CLAUDE_CONFIG_DIR": f" {tmp_path / 'one'} , ~/two,{tmp_path / 'empty'},{tmp_path / 'one'}"}
    assert claude_code_dirs(home=home, env=env) == [one, two]  # "~" is the given home; one listed once
    assert claude_code_dirs(home=home, env={"CLAUDE_CONFIG_DIR": str(tmp_path / "missing")}) == []


def test_dirs_read_as_logs(tmp_path: Path) -> None:
    home = tmp_path / "home"
    projects = _projects(home / ".claude")
    (projects / "p").mkdir()
    (projects / "p" / "s.jsonl").write_bytes(CLI.read_bytes())
    frame, _ = read_all(claude_code_dirs(home=home, env={}))
    assert len(frame) == 3


def test_lines_without_a_type_are_api_calls() -> None:
    path = LOGS / "claude_code" / "untyped" / "session.jsonl"
    frame, stats = read_all(path)
    assert stats.files[0].format == "claude-code"
    assert dict(stats.files[0].skipped) == {"missing_model": 1, "duplicate_request_id": 1}
    assert tokens_of(frame) == [
        [100, 0, 0, 0, 50, 0],
        # 200 uncached + 1200 read + 300 written = 1700
        [1700, 1200, 300, 0, 80, 0],
    ]
    assert frame["request_id"].tolist() == ["msg_u1:req_u1", "msg_u2:req_u2"]
    assert frame["source_cost_usd"].iloc[0] == 0.01
    assert frame["session"].iloc[1] == "sess-u"
