# ruff: noqa: RUF001
"""Group testing in matching.match_all gives exactly what one pass per pattern gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from llmaudit.tagging import matching, question, signals
from llmaudit.tagging.lexicon import STRUCTURE_SIGNALS, load_lexicon

TEXTS = [
    "Classify this review as positive or negative: great!",
    "Summarize the above in one line and translate it into German.",
    "Write a python script that solves 3x + 2 = 11, step by step.",
    "hello there",
    "",
    "Prove this is NP-complete.",
    "请把下面这段话翻译成英文：我们明天开会。",
    "```js\nconst msg = 1;\n```\nFix the grammar in this comment",
    "Traceback (most recent call last):\n  File \"a.py\", line 3, in <module>\nKeyError: 'user'",
    "What are some good names for a cat?",
]


def one_pass_each(values: pa.Array, patterns: list[str]) -> np.ndarray:
    return np.array([np.asarray(pc.fill_null(pc.match_substring_regex(values, p), False)) for p in patterns])


@pytest.mark.parametrize("force_groups", [True, False])
def test_match_all_equals_one_pass_per_pattern(monkeypatch: pytest.MonkeyPatch, force_groups: bool) -> None:
    # Force group testing (and, in the second run, plain passes) whatever the size of the input.
    monkeypatch.setattr(matching, "_worth_grouping", lambda values, k: force_groups)
    lex = load_lexicon()
    patterns = [c.pattern for c in lex.classes] + [lex.hard, lex.easy]
    patterns += [lex.structure[s] for s in STRUCTURE_SIGNALS]
    values = pa.array([t.encode() for t in TEXTS * 3], pa.large_binary())
    expected = one_pass_each(values, patterns)
    assert expected.any(axis=1).sum() >= 10  # most patterns match something here
    for order in (list(range(len(patterns))), list(reversed(range(len(patterns))))):
        np.testing.assert_array_equal(matching.match_all(values, patterns, [order]), expected)


def test_match_windows_deduplicates_and_maps_back() -> None:
    values = pa.array([b"translate this", b"hello", b"translate this", b""] * 1000, pa.large_binary())
    other = pa.array([b"hello", b"xyz"], pa.large_binary())
    head, tail = matching.match_windows([(values, False), (other, True)], [r"\btranslate\b", "hello"], [0, 1])
    assert head.shape == (2, 4000) and tail.shape == (2, 2)
    np.testing.assert_array_equal(head[:, :4], [[True, False, True, False], [False, True, False, False]])
    np.testing.assert_array_equal(tail, [[False, False], [True, False]])


def test_chunked_text_gives_the_same_signals() -> None:
    import pandas as pd

    from llmaudit.tagging import tag_requests

    texts = TEXTS * 300
    chunked = pd.DataFrame({"user_text": pd.array(pa.chunked_array([texts[:1000], texts[1000:]]), dtype="str")})
    single = pd.DataFrame({"user_text": pd.array(texts, dtype="str")})
    pd.testing.assert_frame_equal(tag_requests(chunked), tag_requests(single))


def test_windows_are_deduplicated_when_a_few_repeat_and_the_tags_do_not_change(monkeypatch: pytest.MonkeyPatch) -> None:
    """Matching distinct windows only is exact; it is used once about one window in seven repeats
    (here 30% of the rows repeat earlier ones)."""
    import pandas as pd

    from llmaudit.tagging import tag_requests

    unique = [f"{TEXTS[i % len(TEXTS)]} #{i}" for i in range(2_800)]
    texts = unique + unique[:1_200]
    values = pa.array([t.encode() for t in texts], pa.large_binary())
    _, indices = matching.distinct_values(values)
    assert indices is not None and indices.max() == 2_799  # deduplicated: 2,800 distinct windows
    frame = pd.DataFrame({"user_text": pd.array(texts, dtype="str")})
    deduplicated = tag_requests(frame)
    monkeypatch.setattr(matching, "_DEDUP_BELOW", 0.0)  # never deduplicate
    assert matching.distinct_values(values)[1] is None
    pd.testing.assert_frame_equal(deduplicated, tag_requests(frame))


QUESTION_ENDS = {
    "Why?": True,
    "Why? ": True,
    "Why?\n\n": True,
    "Why?\t\r": True,
    "Why?  x": False,
    "Why?\v": False,  # RE2's \s has no vertical tab
    "why ?!": False,
    "为什么？": True,  # full width, the last three bytes
    "为什么？ ": False,  # its first byte is cut off the 3-byte window
    "?": True,
    " ?": True,
    "": False,
    "no question": False,
    "é?": True,
    "¿qué": False,
}


def test_question_end_is_read_from_the_last_bytes() -> None:
    texts = list(QUESTION_ENDS)
    values = pa.array([t.encode() for t in texts] + [None], pa.large_binary())
    assert question.ends_with_question(values).tolist() == [*QUESTION_ENDS.values(), False]
    # Sliced and chunked arrays read their own offsets.
    chunked = pa.chunked_array([values.slice(0, 5), values.slice(5)])
    assert question.ends_with_question(chunked).tolist() == [*QUESTION_ENDS.values(), False]
    assert question.ends_with_question(values.slice(3, 4)).tolist() == list(QUESTION_ENDS.values())[3:7]
    assert question.ends_with_question(pa.array([b"", b""], pa.large_binary())).tolist() == [False, False]


def test_question_end_equals_the_regex_on_random_bytes() -> None:
    # The regex it replaces, over the last 3 bytes, on bytes drawn from the characters that matter.
    rng = np.random.default_rng(7)
    alphabet = [b"?", b" ", b"\n", b"\t", b"\x0b", b"a", b"\xef", b"\xbc", b"\x9f", "？".encode()]
    texts = [b"".join(rng.choice(alphabet, size=rng.integers(0, 6)).tolist()) for _ in range(5_000)]
    values = pa.array(texts, pa.large_binary())
    regex = pc.fill_null(pc.match_substring_regex(pc.binary_slice(values, -3), "(?:\\?|\uff1f)\\s*$"), False)
    assert question.ends_with_question(values).tolist() == regex.to_pylist()


@pytest.mark.parametrize("long", [False, True])
def test_structure_signals_equal_one_pass_per_pattern_on_short_and_long_traffic(long: bool) -> None:
    # Short traffic (no message over the head window) matches the structure patterns in the
    # keyword passes; long traffic in passes of their own over the body window.
    lex = load_lexicon()
    texts = [t for t in TEXTS if len(t.encode()) <= lex.head_chars] * 30
    if long:
        texts.append("x" * (lex.head_chars + 1))
    frame = pd.DataFrame(
        {"user_text": pd.array(texts, dtype="str"), "system_text": pd.array(["Classify it."] * len(texts), dtype="str")}
    )
    sig = signals.extract_signals(frame, lex)
    body = pa.array([t.encode()[: lex.body_chars] for t in texts], pa.large_binary())
    expected = one_pass_each(body, [lex.structure[s] for s in STRUCTURE_SIGNALS])
    for i, name in enumerate(STRUCTURE_SIGNALS):
        assert sig.structure[name].tolist() == expected[i].tolist(), name
    assert sig.structure["code_block"].any() and sig.structure["stack_trace"].any()
