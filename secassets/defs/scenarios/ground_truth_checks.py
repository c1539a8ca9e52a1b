"""Asset checks on scenarios' ground truth: no label leakage through a single field, coherent content, truth = rubric."""

import dagster as dg
import pandas as pd

from secassets.evaluation.leakage import JUDGE_POINT_ESTIMATE_FROM, MAX_FIELD_ACCURACY, leakage_table
from secassets.scenarios.consistency import row_problems
from secassets.storage.markdown import markdown_table

MAX_LISTED = 20
LEAKAGE_SEED = 0


@dg.asset_check(
    asset="scenarios",
    description=f"No single field a template shows predicts scenario_type: for every template, input and field, a "
    f"lookup classifier fit on a seeded half of the rows reaches at most {MAX_FIELD_ACCURACY:.2f} accuracy on the "
    f"other half (ERROR; with under {JUDGE_POINT_ESTIMATE_FROM} held-out rows only when the Wilson 95% lower bound "
    "is above it). A leaky field means a template is ranked for reading the generator, not for judging risk.",
    blocking=True,
)
def scenarios_label_leakage(scenarios: pd.DataFrame) -> dg.AssetCheckResult:
    table, baseline = leakage_table(scenarios, seed=LEAKAGE_SEED)
    worst = max(table, key=lambda t: t.accuracy)
    per_template = {}
    for t in table:
        if t.template not in per_template or t.accuracy > per_template[t.template].accuracy:
            per_template[t.template] = t
    unique = {(t.input, t.field): t for t in table}
    rows = [{"input": i, "field": f, "accuracy": t.accuracy, "wilson_low": t.lower, "majority_baseline": round(baseline, 4),
             "templates": ", ".join(x.template for x in table if (x.input, x.field) == (i, f))}
            for (i, f), t in sorted(unique.items(), key=lambda kv: -kv[1].accuracy)]
    summary = [{"template": name, "max_field_accuracy": t.accuracy, "field": f"{t.input}.{t.field}"}
               for name, t in per_template.items()]
    return dg.AssetCheckResult(
        passed=not any(t.leaks for t in table),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "max_field_accuracy": worst.accuracy,
            "max_field": f"{worst.input}.{worst.field}",
            "majority_baseline": round(baseline, 4),
            "threshold": MAX_FIELD_ACCURACY,
            "per_template": dg.MetadataValue.md(markdown_table(summary, ["template", "max_field_accuracy", "field"])),
            "held_out_rows": worst.held_out,
            "fields": dg.MetadataValue.md(markdown_table(
                rows, ["input", "field", "accuracy", "wilson_low", "majority_baseline", "templates"])),
        },
    )


def consistency_result(frame: pd.DataFrame) -> dg.AssetCheckResult:
    """No self-contradictory row, and every row's truth recomputed from its content by the rubric (ERROR)."""
    failures = []
    contradictory = mismatched = 0
    for i, row in enumerate(frame.to_dict("records")):
        found, mismatches = row_problems(row)
        contradictory += bool(found)
        mismatched += bool(mismatches)
        if found or mismatches:
            failures.append({"row": str(i), "scenario_hash": str(row["scenario_hash"])[:12],
                             "problem": "; ".join(found or mismatches)[:300]})
    metadata: dict[str, object] = {
        "rows": len(frame), "contradictory_rows": contradictory, "truth_mismatch_rows": mismatched,
        "truth_equals_rubric_share": round(1 - mismatched / len(frame), 4) if len(frame) else 1.0,
    }
    if failures:
        metadata["failures"] = dg.MetadataValue.md(markdown_table(failures[:MAX_LISTED], ["row", "scenario_hash", "problem"]))
    return dg.AssetCheckResult(passed=not failures, severity=dg.AssetCheckSeverity.ERROR, metadata=metadata)


@dg.asset_check(
    asset="scenarios",
    description="Every row's content holds together (deviation sign vs counts, entry point vs zone, known face vs "
    "concealed face, dwell time vs loitering or passing by, cues vs actors, faces and plates vs detections) and its "
    "ground truth equals secassets.risk.assess of that content, recomputed here (ERROR).",
    blocking=True,
)
def scenarios_ground_truth_consistency(scenarios: pd.DataFrame) -> dg.AssetCheckResult:
    return consistency_result(scenarios)
