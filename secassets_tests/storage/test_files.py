import os
import time

import numpy as np
import pytest

from secassets.storage.files import atomic_path, write_npz


def test_npz_bytes_depend_only_on_the_arrays(tmp_path):
    arrays = {"keys": np.array(["b", "a"]), "vectors": np.arange(6, dtype=np.float32).reshape(2, 3)}
    first = write_npz(tmp_path / "x.npz", **arrays).read_bytes()
    time.sleep(2.1)  # zip timestamps have 2 s resolution: np.savez would differ now
    assert write_npz(tmp_path / "x.npz", **arrays).read_bytes() == first
    with np.load(tmp_path / "x.npz") as loaded:
        assert loaded["keys"].tolist() == ["b", "a"] and loaded["vectors"].tobytes() == arrays["vectors"].tobytes()


def test_a_failed_write_leaves_the_previous_file_and_no_temp(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("previous")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash while writing")
    assert target.read_text() == "previous" and os.listdir(tmp_path) == ["out.json"]
