from secassets.evaluation.parsing import parse_answer

GOOD = '{"risk_score": 72, "risk_level": "high", "summary": "Person forcing the door.", "reasoning": "Night, entry point."}'


def test_plain_json_parses():
    parsed = parse_answer(GOOD)
    assert parsed.ok and parsed.answer.risk_score == 72 and parsed.thinking is None


def test_think_block_is_kept_as_reasoning_and_removed():
    parsed = parse_answer(f"<think>The door is being forced {{not json}}.</think>\n{GOOD}")
    assert parsed.ok and parsed.thinking == "The door is being forced {not json}."


def test_preamble_before_json_is_tolerated():
    assert parse_answer(f"Here is my analysis:\n{GOOD}\nThanks").ok


def test_unclosed_think_is_a_failure():
    parsed = parse_answer("<think>I keep thinking and never answer")
    assert not parsed.ok and "unclosed <think>" in parsed.error


def test_invalid_json_is_a_failure():
    parsed = parse_answer('{"risk_score": 72, "risk_level": ')
    assert not parsed.ok and parsed.error == "no JSON object in the answer"


def test_schema_violation_is_a_failure():
    parsed = parse_answer('{"risk_score": 720, "risk_level": "high", "summary": "s", "reasoning": "r"}')
    assert not parsed.ok and "risk_score" in parsed.error


def test_token_limit_is_a_failure_even_with_valid_json():
    parsed = parse_answer(GOOD, finished=False)
    assert not parsed.ok and "token limit" in parsed.error
