"""Mergeable partial results (``simulate/partial.py``) and the blocks they are made of
(``simulate/blocks.py``): sums added in input order however the parts were merged, keys in
order of first appearance across blocks, block lengths as a reader's chunks and files cut them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llmaudit.simulate.blocks import BLOCKS, bounds, file_runs, lengths_of, row_blocks, with_blocks
from llmaudit.simulate.partial import NO_ROW, BlockPart, Partial, keyed, merge, scalars


def _block(values: list[float], codes: list[int]) -> Partial:
    """One block: ``values`` summed per code (labels "a", "b", "c")."""
    part = keyed(np.array(codes), ["a", "b", "c"], (np.array(values),))
    return Partial((BlockPart({"cost": part, "n": scalars(total=sum(values))}),))


def test_merge_is_associative_and_the_fold_adds_in_input_order() -> None:
    a, b, c = _block([0.1], [0]), _block([0.2], [0]), _block([0.3], [0])
    left, right = merge(merge(a, b), c), merge(a, merge(b, c))
    assert left == right or left.blocks == right.blocks
    # (0.1 + 0.2) + 0.3 in floats, the order one process adds them: not 0.1 + (0.2 + 0.3).
    assert (0.1 + 0.2) + 0.3 != 0.1 + (0.2 + 0.3)
    for merged in (left, right):
        folded = merged.fold()
        assert folded["cost"].get("a") == 0.6000000000000001
        assert folded.scalar("n", "total") == 0.6000000000000001


def test_sums_per_key_and_counts() -> None:
    first = _block([1.0, 2.0, 4.0, 8.0], [1, 0, 1, -1])  # code -1: left out
    later = _block([16.0, 32.0], [2, 1])
    folded = merge(first, later).fold()
    assert folded["cost"].column() == {"b": 1.0 + 4.0 + 32.0, "a": 2.0, "c": 16.0}
    counts = merge(
        Partial((BlockPart({"n": keyed(np.array([2, 2, 0]), ["x", "y", "z"])}),)),
        Partial((BlockPart({"n": keyed(np.array([0, 1]), ["x", "y", "z"])}),)),
    ).fold()
    assert counts["n"].column() == {"z": 2.0, "x": 2.0, "y": 1.0}


def test_first_appearance_across_blocks() -> None:
    labels = ["p", "q", "r"]
    one = keyed(np.array([1, 1, 0]), labels)
    two = keyed(np.array([2, 0, 1]), labels)
    folded = Partial((BlockPart({"k": one}), BlockPart({"k": two}))).fold()
    order = [folded["k"].keys[i] for i in folded["k"].by_first()]
    assert order == ["q", "p", "r"]  # q at row 0 of block 0, p at row 2, r at row 0 of block 1
    assert dict(zip(folded["k"].keys, folded["k"].first, strict=True)) == {"q": (0, 0), "p": (0, 2), "r": (1, 0)}


def test_rows_that_do_not_order_a_key_put_it_last() -> None:
    """An untagged task type: its rows count, but it is listed after every tagged one unless
    a later block has a row that orders it."""
    labels = ["chat", "unknown"]
    unordered = keyed(np.array([1, 0]), labels, ordered=np.array([False, True]))
    assert unordered.first.tolist() == [1, NO_ROW]  # chat at row 1; unknown: no ordering row
    later = keyed(np.array([1]), labels)
    folded = Partial((BlockPart({"t": unordered}), BlockPart({"t": later}))).fold()
    assert folded["t"].first[folded["t"].keys.index("unknown")] == (1, 0)


def test_extremes_and_empty_blocks() -> None:
    empty = BlockPart({"n": scalars(total=0.0)}, {"stamps": None})
    some = BlockPart({"n": scalars(total=2.5)}, {"stamps": (3, 9)})
    more = BlockPart({"n": scalars(total=1.0)}, {"stamps": (1, 4)})
    folded = Partial((empty, some, empty, more)).fold()
    assert folded.extremes["stamps"] == (1, 9)
    assert folded.scalar("n", "total") == 3.5
    assert Partial((empty,)).fold().extremes["stamps"] is None


def test_blocks_cut_at_files_within_a_chunk() -> None:
    chunk = pd.DataFrame({"source_file": ["a.jsonl", "a.jsonl", "b.jsonl", "c.jsonl", "c.jsonl"]})
    assert file_runs(chunk) == [2, 1, 2]
    assert file_runs(chunk.iloc[:0]) == []
    frame = with_blocks(pd.DataFrame({"x": range(7)}), [2, 0, 1, 4])
    assert lengths_of(frame) == [2, 1, 4]
    assert bounds(frame) == [(0, 2), (2, 3), (3, 7)]


@pytest.mark.parametrize("stale", [[3, 3], "x", None])
def test_a_frame_without_fitting_blocks_is_one_block(stale: object) -> None:
    frame = pd.DataFrame({"x": range(5)})
    if stale is not None:
        frame.attrs[BLOCKS] = stale
    assert lengths_of(frame) == [5]
    assert lengths_of(frame.iloc[:0]) == []


@pytest.mark.parametrize("left_out", [False, True])
def test_keyed_sums_and_first_rows_with_and_without_rows_left_out(left_out: bool) -> None:
    # rows:   0    1    2    3    4
    codes = [2, 0, 2, -1 if left_out else 1, 0]
    cost = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    part = keyed(np.array(codes), ["a", "b", "c"], (None, cost))
    if left_out:  # row 3 counts nowhere: "b" is absent
        assert part.keys == ("a", "c")
        assert part.values.tolist() == [[2.0, 18.0], [2.0, 5.0]]
        assert part.first.tolist() == [1, 0]
    else:
        assert part.keys == ("a", "b", "c")
        assert part.values.tolist() == [[2.0, 18.0], [1.0, 8.0], [2.0, 5.0]]
        assert part.first.tolist() == [1, 3, 0]
    unordered = keyed(np.array(codes), ["a", "b", "c"], firsts=False)
    assert unordered.first.tolist() == [0] * len(unordered.keys)


def test_blocks_hold_their_rows_without_the_frame_attrs() -> None:
    frame = with_blocks(pd.DataFrame({"x": range(5)}), [2, 3])
    blocks = list(row_blocks(frame))
    assert [b["x"].tolist() for b in blocks] == [[0, 1], [2, 3, 4]]
    assert all(b.attrs == {} for b in blocks)
    assert frame.attrs[BLOCKS] == [2, 3]  # the frame keeps its own
