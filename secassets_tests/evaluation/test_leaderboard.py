import pandas as pd

from secassets.evaluation.leaderboard import evaluations_fingerprint


def _frame(score=40):
    df = pd.DataFrame({"scenario_hash": ["a", "b"], "parse_ok": [True, False], "risk_score": [score, None],
                       "raw_output": ['{"risk_score": 40}', None]})
    df["risk_score"] = df["risk_score"].astype("Int16")
    return df


def test_fingerprint_depends_on_content_only():
    assert evaluations_fingerprint({"basic": _frame(), "enriched": _frame()}) == evaluations_fingerprint(
        {"enriched": _frame(), "basic": _frame()}
    )
    assert evaluations_fingerprint({"basic": _frame()}) != evaluations_fingerprint({"basic": _frame(41)})
    assert evaluations_fingerprint({"basic": _frame()}) != evaluations_fingerprint({"enriched": _frame()})
