"""Names and vocabularies shared by every part of secassets: the one place they are defined."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final, Literal, get_args

# Each vocabulary is written once, as a Literal (what the Pydantic row models validate against); its
# tuple (what samplers, configs and loops iterate, in this order) is derived from it.

# --- Sampler vocabularies (the Data Designer sampler columns, in column order) -------------
TimeOfDay = Literal["morning", "midday", "evening", "night", "late_night"]
DayType = Literal["weekday", "weekend", "holiday"]
CameraLocation = Literal["front_door", "backyard", "driveway", "side_gate"]
DetectionCount = Literal["1", "2-3", "4-6", "7+"]
PrimaryObject = Literal["person", "vehicle", "animal", "package"]
ScenarioType = Literal["normal", "suspicious", "threat", "edge_case"]
EnrichmentLevel = Literal["none", "basic", "full"]

TIME_OF_DAY: Final[tuple[TimeOfDay, ...]] = get_args(TimeOfDay)
DAY_TYPE: Final[tuple[DayType, ...]] = get_args(DayType)
CAMERA_LOCATION: Final[tuple[CameraLocation, ...]] = get_args(CameraLocation)
DETECTION_COUNT: Final[tuple[DetectionCount, ...]] = get_args(DetectionCount)
PRIMARY_OBJECT: Final[tuple[PrimaryObject, ...]] = get_args(PrimaryObject)
SCENARIO_TYPE: Final[tuple[ScenarioType, ...]] = get_args(ScenarioType)
ENRICHMENT_LEVEL: Final[tuple[EnrichmentLevel, ...]] = get_args(EnrichmentLevel)

SAMPLER_VALUES: Final[dict[str, tuple[str, ...]]] = {
    "time_of_day": TIME_OF_DAY,
    "day_type": DAY_TYPE,
    "camera_location": CAMERA_LOCATION,
    "detection_count": DETECTION_COUNT,
    "primary_object": PRIMARY_OBJECT,
    "scenario_type": SCENARIO_TYPE,
    "enrichment_level": ENRICHMENT_LEVEL,
}
SAMPLER_COLUMNS: Final = tuple(SAMPLER_VALUES)

DEFAULT_WEIGHTS: Final[dict[str, dict[str, float]]] = {
    "time_of_day": {"morning": 0.15, "midday": 0.20, "evening": 0.25, "night": 0.25, "late_night": 0.15},
    "day_type": {"weekday": 0.60, "weekend": 0.35, "holiday": 0.05},
    "camera_location": {"front_door": 0.35, "backyard": 0.25, "driveway": 0.25, "side_gate": 0.15},
    "detection_count": {"1": 0.40, "2-3": 0.35, "4-6": 0.20, "7+": 0.05},
    "primary_object": {"person": 0.45, "vehicle": 0.30, "animal": 0.15, "package": 0.10},
    "scenario_type": {"normal": 0.40, "suspicious": 0.30, "threat": 0.20, "edge_case": 0.10},
    "enrichment_level": {"none": 0.20, "basic": 0.35, "full": 0.45},
}

# Inclusive detection-count range behind each detection_count bucket.
DETECTION_COUNT_RANGE: Final[dict[str, tuple[int, int]]] = {
    "1": (1, 1),
    "2-3": (2, 3),
    "4-6": (4, 6),
    "7+": (7, 10),
}

# --- Detections --------------------------------------------------------------------------
ObjectType = Literal["person", "car", "truck", "dog", "cat", "bicycle", "motorcycle", "bus", "vehicle", "animal"]
OBJECT_TYPES: Final[tuple[ObjectType, ...]] = get_args(ObjectType)
# A labeled case's generic classes ("a vehicle", "an animal": which kind is not said); the generator never draws them.
GENERIC_CLASSES: Final[dict[ObjectType, str]] = {"vehicle": "vehicle", "animal": "animal"}
VEHICLE_TYPES: Final[tuple[ObjectType, ...]] = ("car", "truck", "motorcycle", "bicycle", "bus")
ANIMAL_TYPES: Final[tuple[ObjectType, ...]] = ("dog", "cat")
# Detector classes that a primary_object shows up as (a package is carried by a person; COCO has no package).
PRIMARY_OBJECT_CLASSES: Final[dict[str, tuple[str, ...]]] = {
    "person": ("person",),
    "vehicle": VEHICLE_TYPES,
    "animal": ANIMAL_TYPES,
    "package": ("person",),
}
FRAME_WIDTH: Final = 1920
FRAME_HEIGHT: Final = 1080
DETECTION_WINDOW_SECONDS: Final = 90.0
MIN_CONFIDENCE: Final = 0.5

NIGHT_TIMES: Final = frozenset({"night", "late_night"})

# --- What the scene and the enrichment models can report ----------------------------------
Lighting = Literal["daylight", "bright_daylight", "dusk", "porch_light", "infrared"]
Weather = Literal["clear", "overcast", "light_rain", "fog"]
Pose = Literal["standing", "walking", "running", "crouching", "kneeling", "crawling", "prone"]
LIGHTING: Final[tuple[Lighting, ...]] = get_args(Lighting)
WEATHER: Final[tuple[Weather, ...]] = get_args(Weather)
POSES: Final[tuple[Pose, ...]] = get_args(Pose)
# The lighting a camera can have at each time of day (night: a porch light or the camera's infrared).
LIGHTING_BY_TIME: Final[dict[str, tuple[Lighting, ...]]] = {
    "morning": ("daylight",),
    "midday": ("bright_daylight", "daylight"),
    "evening": ("dusk",),
    "night": ("porch_light", "infrared"),
    "late_night": ("infrared", "porch_light"),
}
ENTRY_POINT_CAMERAS: Final = frozenset({"front_door", "side_gate"})
ZONE_NAMES: Final[dict[str, str]] = {
    "front_door": "front_porch",
    "backyard": "back_yard",
    "driveway": "driveway",
    "side_gate": "side_gate_path",
}

JUDGE_RUBRICS: Final = (
    "relevance",
    "risk_calibration",
    "context_usage",
    "reasoning_quality",
    "threat_identification",
    "actionability",
)

# --- Prompt templates under evaluation ------------------------------------------------------
# The built-in templates, shipped as prompts/<name>.yaml (any other file there is a template too: see
# secassets.evaluation.template_files); listed first, in this order, wherever templates are listed.
TEMPLATE_NAMES: Final = ("basic", "enriched", "full_enriched", "vision", "model_zoo")
TEMPLATES_PARTITION_NAME: Final = "templates"  # the Dagster dynamic partitions the template files register
EXPERIMENTS_FILE_NAME: Final = "experiments.yaml"  # prompts/experiments.yaml: the A/B experiments (not a template)
CHATML_STOP_TOKENS: Final = ("<|im_end|>", "<|im_start|>")

# --- Generation modes ---------------------------------------------------------------------
# "llm_failed": LLM columns were attempted for the row and failed after retries; its text is the deterministic one.
GenerationMode = Literal["deterministic", "llm", "llm_failed"]
GENERATION_MODE_DETERMINISTIC: Final[GenerationMode] = "deterministic"
GENERATION_MODE_LLM: Final[GenerationMode] = "llm"
GENERATION_MODE_LLM_FAILED: Final[GenerationMode] = "llm_failed"

# --- Dagster concurrency pools ------------------------------------------------------------
# Every step that sends requests to the deployment's LLM server claims this pool; its limit (dagster_home/dagster.yaml,
# or `dagster instance concurrency set`) is how many such steps run at once. Each step already keeps at most one request
# per server slot in flight, so a limit of 1 means two runs started together never exceed the server's slots.
LLM_POOL: Final = "llm_server"

# --- Dagster group names -----------------------------------------------------------------
SCENARIOS_GROUP: Final = "scenarios"
EVALUATION_GROUP: Final = "evaluation"
COVERAGE_GROUP: Final = "coverage"
MULTIMODAL_GROUP: Final = "multimodal"


REPO_ROOT: Final = Path(__file__).resolve().parents[2]  # secassets/core/vocabulary.py -> <repo>
# The labeled example cases the project ships (folder format of secassets.curated), read when no curated root exists.
CURATED_EXAMPLES_DIR: Final = REPO_ROOT / "data" / "curated_examples"
CURATED_DIR_NAME: Final = "curated"  # <data>/curated/: where a team's own labeled cases go
SHIPPED_PROMPTS_DIR: Final = REPO_ROOT / "prompts"  # the template files and experiments the project ships


def prompts_dir() -> Path:
    """Where the template files are read: SECASSETS_PROMPTS_DIR, else <repo>/prompts."""
    env = os.environ.get("SECASSETS_PROMPTS_DIR")
    return Path(env) if env else SHIPPED_PROMPTS_DIR


def default_data_dir() -> Path:
    """Where outputs go unless SECASSETS_DATA_DIR says otherwise: <repo>/data."""
    env = os.environ.get("SECASSETS_DATA_DIR")
    if env:
        return Path(env)
    return REPO_ROOT / "data"
