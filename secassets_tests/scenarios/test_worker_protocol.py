import io

import pytest
from pydantic import ValidationError

from secassets.scenarios.llm_columns import LLMOutcome
from secassets.scenarios.worker_protocol import (
    EndpointReply,
    EndpointRequest,
    Finished,
    ParentChannel,
    read_worker_message,
    send,
)


def test_worker_messages_round_trip_as_one_json_line_each():
    out = io.StringIO()
    send(out, EndpointRequest())
    send(out, Finished(generated_rows=5, duplicates_removed=1, llm=LLMOutcome(4, 3, 1, 0, cache_hits=2)))
    first, second = out.getvalue().splitlines()
    assert isinstance(read_worker_message(first), EndpointRequest)
    finished = read_worker_message(second)
    assert isinstance(finished, Finished) and finished.llm == LLMOutcome(4, 3, 1, 0, cache_hits=2)


@pytest.mark.parametrize("line", ["", "LLM endpoint http://x/v1 (4 slots)", '{"type": "endpoint?"}', "{}"])
def test_anything_else_on_the_channel_is_not_a_message(line):
    with pytest.raises(ValueError):
        read_worker_message(line)


def test_an_endpoint_reply_is_an_endpoint_or_an_error():
    assert EndpointReply(base_url="http://127.0.0.1:1/v1", max_parallel_requests=2).error is None
    assert EndpointReply(error="no server").base_url is None
    for bad in ({}, {"base_url": "http://x/v1"}, {"base_url": "http://x/v1", "max_parallel_requests": 2, "error": "e"}):
        with pytest.raises(ValidationError):
            EndpointReply(**bad)


def test_the_worker_end_asks_and_reads_one_reply():
    replies = io.StringIO('{"base_url": "http://127.0.0.1:5/v1", "max_parallel_requests": 3}\n')
    messages = io.StringIO()
    channel = ParentChannel(replies, messages)
    assert channel.ask_endpoint() == EndpointReply(base_url="http://127.0.0.1:5/v1", max_parallel_requests=3)
    assert isinstance(read_worker_message(messages.getvalue()), EndpointRequest)
    assert channel.ask_endpoint().error == "the parent closed the channel without a reply"
