"""Each asset's files: a partition key can name only that asset's own file, never another asset's or one outside."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secassets.core.errors import SecassetsError
from secassets.storage.layout import inside, output_path, partition_parts


def test_an_evaluation_key_maps_to_its_own_file(tmp_path):
    assert output_path(tmp_path, ["prompt_evaluations"], ".parquet", "smollm2-135m|basic") == (
        tmp_path / "prompt_evaluations" / "smollm2-135m" / "basic.parquet")
    assert output_path(tmp_path, ["scenarios"], ".parquet") == tmp_path / "scenarios.parquet"


@pytest.mark.parametrize("key", ["smollm2-135m|../../scenarios", "smollm2-135m|/etc/passwd", "../x|basic",
                                 "smollm2-135m|basic\n", "smollm2-135m", "a|b|c", "cache|basic"])
def test_a_key_that_reaches_elsewhere_is_refused(tmp_path, key):
    with pytest.raises(SecassetsError, match="partition key"):
        output_path(tmp_path, ["prompt_evaluations"], ".parquet", key)


@pytest.mark.parametrize("part", ["..", "a/b", "/abs", "", "x\x00"])
def test_inside_takes_only_plain_segments(tmp_path, part):
    with pytest.raises(SecassetsError):
        inside(tmp_path, "prompt_evaluations", part)


def test_a_link_out_of_the_folder_is_refused(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "images").symlink_to(tmp_path)
    with pytest.raises(SecassetsError, match="would leave"):
        inside(tmp_path / "data", "images", "x.png")


@settings(max_examples=300, deadline=None)
@given(model=st.text(max_size=20), template=st.text(max_size=20))
def test_any_key_stays_in_the_assets_folder_or_is_refused(tmp_path_factory, model, template):
    base = Path(tmp_path_factory.getbasetemp())
    try:
        path = output_path(base, ["prompt_evaluations"], ".parquet", f"{model}|{template}")
    except SecassetsError:
        assert partition_parts_refused(f"{model}|{template}")
        return
    assert path.parent.parent == base / "prompt_evaluations" and path.name == f"{template}.parquet"


def partition_parts_refused(key: str) -> bool:
    try:
        partition_parts("prompt_evaluations", key)
    except SecassetsError:
        return True
    return False
