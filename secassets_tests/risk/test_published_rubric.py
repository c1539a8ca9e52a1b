from pathlib import Path

from secassets.risk.report import END_MARKER, START_MARKER, rubric_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_publishes_exactly_the_rubric_in_code():
    text = README.read_text()
    start, end = text.index(START_MARKER), text.index(END_MARKER) + len(END_MARKER)
    assert text[start:end] == rubric_markdown(), "run: python -m secassets.risk.report, paste between the markers"


def test_every_cue_is_in_the_published_table():
    from secassets.risk.cues import CUES

    table = rubric_markdown()
    assert all(f"| `{cue}` |" in table for cue in CUES)
