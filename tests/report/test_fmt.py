"""Signed money and percentages: one helper for the analyze, simulate and check reports."""

from __future__ import annotations

from llmaudit.report.fmt import signed, signed_pct


def test_signed_money_and_shares() -> None:
    assert signed(1.2) == "+$1.20"
    assert signed(-0.4) == "-$0.400"  # sub-dollar amounts keep three significant digits
    assert signed(0.0) == "$0.00" and signed(None) == "n/a"
    assert signed(0.004, zero=0.005) == "$0.00" and signed(0.004) == "+$0.00400"
    assert signed_pct(0.125) == "+12.5%" and signed_pct(-0.03) == "-3.0%" and signed_pct(None) == "n/a"
    assert signed_pct(0.0004, zero=0.0005) == "0.0%"
