"""Redaction and per-class sampling for --sample."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from llmaudit.tagging import redact, sample_by_class


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jane.doe@example.com now", "mail [email] now"),
        ("key sk-proj-AbCdEf1234567890XyZ please", "key [key] please"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def", "Authorization: Bearer [key]"),
        ("token 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 end", "token [key] end"),
        ("card 4111 1111 1111 1111 ok", "card [digits] ok"),
        ("order 12345 stays", "order 12345 stays"),
        ("call +49 30 1234567", "call +[digits]"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(pd.Series([text]), 200).iloc[0] == expected


def test_redact_truncates_and_keeps_kind() -> None:
    out = redact(pa.array(["word " * 10, None]), 10)
    assert isinstance(out, pa.Array)
    assert out[0].as_py() == "word word…"
    assert out[1].as_py() is None
    series = redact(pd.Series(["short"], index=[7]), 10)
    assert list(series.index) == [7] and series.iloc[0] == "short"


def test_sample_by_class_is_deterministic_and_capped() -> None:
    tagged = pd.DataFrame({"task_type": ["qa"] * 10 + ["code"] * 3 + ["chat"], "i": range(14)})
    a = sample_by_class(tagged, 2, seed=1)
    b = sample_by_class(tagged, 2, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert a["task_type"].value_counts().to_dict() == {"qa": 2, "code": 2, "chat": 1}
    assert list(a["task_type"]) == ["qa", "qa", "chat", "code", "code"]  # TASK_TYPES order


def test_sample_requires_tags() -> None:
    with pytest.raises(ValueError, match="task_type"):
        sample_by_class(pd.DataFrame({"x": [1]}), 1)


# Secrets issue 18 found leaking through --sample, and the key shapes providers issue (made-up values).
PEM_BODY = "MIIEowIBAAKCAQEA7qXk3c9Zl1F0Yh8tq2Lr4v5s6w7x8y9z0a1b2c3d4e5f6g7h8i9j\nabc/def+ghi=\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("login password=hunter2 then", "login password=[redacted] then"),
        ('{"api_key": "abc 123"}', '{"api_key": "[redacted]"}'),
        ("PASSWORD: 'p@ss w0rd' ok", "PASSWORD: '[redacted]' ok"),
        ("client_secret=s3cr3t&x=1", "client_secret=[redacted]&x=1"),
        ("db postgres://admin:s3cr3t@db.internal/app", "db postgres://admin:[redacted]@db.internal/app"),
        (f"key -----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}-----END RSA PRIVATE KEY----- done", "key [pem] done"),
        (f"cut -----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}", "cut [pem]"),
        ("anthropic sk-ant-api03-Zx9_yW8-vU7tS6rQ5pO4nM3lK2jI1h end", "anthropic [key] end"),
        ("google AIzaSyD-1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVw end", "google [key] end"),
        ("aws AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws [key] and [key]"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.c2lnbmF0dXJl end", "jwt [key] end"),
        ("max_tokens=100 and 2 tokens: fine", "max_tokens=100 and 2 tokens: fine"),
    ],
)
def test_redact_secrets(text: str, expected: str) -> None:
    assert redact(pd.Series([text]), 300).iloc[0] == expected
