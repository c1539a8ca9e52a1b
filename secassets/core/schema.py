"""The scenarios table: its columns, their groups and Arrow types, defined once.

Nested groups (detections, enrichment_context, ground_truth) are stored as JSON text that
validates against the Pydantic models in ``secassets.core.rows``; embeddings are list<float32>.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa

from secassets.core.vocabulary import JUDGE_RUBRICS, SAMPLER_COLUMNS

JUDGE_COLUMNS: Final = tuple(f"judge_{r}" for r in JUDGE_RUBRICS)

COLUMN_GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "samplers": SAMPLER_COLUMNS,
    "llm_structured": ("detections", "enrichment_context", "ground_truth"),
    "llm_text": ("scenario_narrative", "expected_summary", "reasoning_key_points"),
    "llm_judge": JUDGE_COLUMNS,
    "embeddings": ("scenario_embedding", "reasoning_embedding"),
    "expressions": ("formatted_prompt_input", "complexity_score", "scenario_hash"),
    "validation": ("detection_schema_valid", "temporal_consistency"),
}
PROVENANCE_COLUMNS: Final = ("generation_mode",)
SCENARIO_COLUMNS: Final = tuple(c for group in COLUMN_GROUPS.values() for c in group) + PROVENANCE_COLUMNS

_TYPES: dict[str, pa.DataType] = {c: pa.string() for c in SCENARIO_COLUMNS}
_TYPES.update({c: pa.int8() for c in JUDGE_COLUMNS})
_TYPES.update({c: pa.list_(pa.float32()) for c in COLUMN_GROUPS["embeddings"]})
_TYPES["complexity_score"] = pa.float64()
_TYPES.update({c: pa.bool_() for c in COLUMN_GROUPS["validation"]})

NULLABLE: Final = frozenset({"enrichment_context", *JUDGE_COLUMNS, *COLUMN_GROUPS["embeddings"]})

SCENARIOS_ARROW_SCHEMA: Final = pa.schema(
    [pa.field(c, _TYPES[c], nullable=c in NULLABLE) for c in SCENARIO_COLUMNS]
)

COLUMN_DESCRIPTIONS: Final[dict[str, str]] = {
    "time_of_day": "Sampled time of day.",
    "day_type": "Sampled kind of day.",
    "camera_location": "Sampled camera.",
    "detection_count": "Sampled detection-count bucket (1, 2-3, 4-6, 7+).",
    "primary_object": "Sampled primary object.",
    "scenario_type": "Sampled label: normal, suspicious, threat or edge_case.",
    "enrichment_level": "Sampled enrichment depth: none, basic or full.",
    "detections": "JSON list of Detection objects; each actor's behaviour and identity cues in attributes.cues.",
    "enrichment_context": "JSON EnrichmentContext, null when enrichment_level is none.",
    "ground_truth": "JSON GroundTruth = secassets.risk.assess of the row's content: score, range (inside the "
    "type's band), level, alert, drivers, key points with their evidence.",
    "scenario_narrative": "Prose description of the scenario.",
    "expected_summary": "The one-line summary a correct analysis would give.",
    "reasoning_key_points": "Bullet list of facts a correct analysis mentions.",
    **{f"judge_{r}": f"LLM-judge {r.replace('_', ' ')} score 1-4; null without a judge model." for r in JUDGE_RUBRICS},
    "scenario_embedding": "Embedding of the narrative; null until scenario_embeddings fills it.",
    "reasoning_embedding": "Embedding of the key points; null until scenario_embeddings fills it.",
    "formatted_prompt_input": "The scenario rendered as prompt input text.",
    "complexity_score": "0-1 complexity (see secassets.scenarios.expressions.complexity_score).",
    "scenario_hash": "SHA-256 of the sampler values and narrative; unique.",
    "detection_schema_valid": "Row re-validated against the Pydantic models.",
    "temporal_consistency": "All timestamps in 0-90 s and the batch spans at most 90 s.",
    "generation_mode": "How the text columns were made: llm or deterministic.",
}

EMBEDDINGS_ARROW_SCHEMA: Final = pa.schema(
    [
        pa.field("scenario_hash", pa.string(), nullable=False),
        pa.field("scenario_embedding", pa.list_(pa.float32()), nullable=False),
        pa.field("reasoning_embedding", pa.list_(pa.float32()), nullable=False),
    ]
)

EDGE_CASES_ARROW_SCHEMA: Final = pa.schema(
    [*SCENARIOS_ARROW_SCHEMA, pa.field("family", pa.string(), nullable=False), pa.field("trait", pa.string(), nullable=False)]
)

# Arrow schema per stored asset (by asset name), so parquet outputs have fixed types and bytes.
ARROW_SCHEMAS: Final[dict[str, pa.Schema]] = {
    "scenarios": SCENARIOS_ARROW_SCHEMA,
    "scenario_embeddings": EMBEDDINGS_ARROW_SCHEMA,
    "enrichment_edge_cases": EDGE_CASES_ARROW_SCHEMA,
}
