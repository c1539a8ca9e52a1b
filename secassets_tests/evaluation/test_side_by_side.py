from secassets.evaluation.model_board import build_board, by_model
from secassets.evaluation.report import render_html, side_by_side_table
from secassets.evaluation.side_by_side import side_by_side
from secassets_tests.evaluation.eval_frames import eval_frame


def test_disagreements_and_changes_since_the_baseline_are_marked():
    evals = {"basic": eval_frame("basic", [True, True, False]), "vision": eval_frame("vision", [True, False, False])}
    baseline = {"basic": eval_frame("basic", [True, False, False]), "vision": eval_frame("vision", [True, False, False])}
    rows = side_by_side(evals, baseline)
    assert [r["disagree"] for r in rows] == [False, True, False]
    assert [r["changed_since_baseline"] for r in rows] == [[], ["basic"], []]
    assert rows[1]["answers"]["vision"]["verdict"] == "off by 40" and rows[0]["answers"]["basic"]["prompt"] == "prompt 0"
    table = side_by_side_table(rows, ["basic", "vision"])
    assert table.splitlines()[2].startswith("| h001 ")  # disagreements first


def test_the_report_has_the_filter_and_the_drill_down_per_model_and_the_models_compared():
    evals = {"m|basic": eval_frame("basic", [True, False]), "m|vision": eval_frame("vision", [False, False]),
             "n|basic": eval_frame("basic", [False, False], model="n")}
    board = build_board(evals)
    sides = {m: side_by_side(ts) for m, ts in by_model(evals).items()}
    html = render_html(board, {}, {}, sides)
    assert "only where templates disagree" in html and "data-disagree='1'" in html
    assert "<details><summary>" in html and "prompt 1" in html and "changed since baseline" in html
    assert "<h2>Model m</h2>" in html and "<h2>Model n</h2>" in html and "Models compared per template" in html
    assert board["by_template"]["basic"]["ranking"] == ["m", "n"] and "vision" not in board["by_template"]
