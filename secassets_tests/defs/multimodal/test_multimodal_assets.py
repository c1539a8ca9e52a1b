import json

import dagster as dg
import pandas as pd
import pytest

from secassets.definitions import build_resources, defs
from secassets.defs.resources.llama_server import LlamaServerResource
from secassets.defs.resources.vision_model import VisionModel

pytestmark = pytest.mark.integration


def test_multimodal_end_to_end_on_a_few_rendered_images(scenario_run, tmp_path, monkeypatch):
    monkeypatch.delenv("NVIDIA_API_KEY", raising=False)
    _, data_dir = scenario_run
    work = tmp_path / "mm"
    work.mkdir()
    (work / "scenarios.parquet").write_bytes((data_dir / "scenarios.parquet").read_bytes())
    curated = work / "images" / "suspicious"
    curated.mkdir(parents=True)
    from PIL import Image
    from skimage import data

    Image.fromarray(data.astronaut()).save(curated / "astronaut.png")
    resources = {**build_resources(str(work), llm=LlamaServerResource(parallel=2)), "vision_model": VisionModel()}
    result = dg.materialize(
        [*defs.assets, *defs.asset_checks], selection=dg.AssetSelection.groups("multimodal"), resources=resources,
        run_config={"ops": {"multimodal_ground_truth": {"config": {"images_per_category": 1}}}},
    )
    assert result.success
    gt = pd.read_parquet(work / "multimodal_ground_truth.parquet")
    assert (gt["source"] == "render").sum() == 4
    assert (gt["image_format"] == "PNG").all() and gt["image_error"].isna().all()
    lacking = gt[gt["source"] == "none"]
    assert len(lacking) == 1 and lacking["risk_score"].isna().all() and lacking["description"].isna().all()
    local = pd.read_parquet(work / "local_pipeline_results.parquet")
    assert len(local) == 5
    astro = local[local["path"].str.endswith("astronaut.png")].iloc[0]
    assert any(d["class"] == "person" for d in json.loads(astro["detections"]))
    assert ((local["parse_ok"] & local["risk_score"].notna()) | (~local["parse_ok"] & local["error"].notna())).all()
    report = json.loads((work / "multimodal_comparison.json").read_text())
    assert report["overall"]["images"] == 4 and len(report["unscored_images"]) == 1
    assert 0 <= report["overall"]["f1"] <= 1
    assert {e.check_name for e in result.get_asset_check_evaluations()} == {"multimodal_iou_share", "multimodal_risk_alignment"}
