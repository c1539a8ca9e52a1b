"""The scenario worker's channel to its parent: one JSON object per line, never mixed with logs.

The worker writes its messages on the stdout it was started with and reads the parent's replies
on stdin; everything it logs (its own lines, Data Designer's, a stray print of any library) goes
to stderr, which the parent shows and keeps the tail of. So a log line can never be taken for a
message, nor a message lost among the logs.

    worker -> parent   EndpointRequest   a row missed the cache: the LLM endpoint is needed now
    parent -> worker   EndpointReply     base_url and max_parallel_requests, or the error
    worker -> parent   Finished          the scenarios are written to the request's output file
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from secassets.sampling.spec import SamplerSpec
from secassets.scenarios.llm_columns import LLMOutcome
from secassets.scenarios.llm_passes import LLMColumnSettings


class WorkerRequest(BaseModel):
    """What the worker is asked to do: written to request.json, whose path is the worker's one argument."""

    spec: SamplerSpec
    sampler_yaml: Path
    workdir: Path
    output: Path
    llm: LLMColumnSettings | None = None


class EndpointRequest(BaseModel):
    """Worker -> parent: start (or reach) the LLM server and say where it is."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["endpoint_request"] = "endpoint_request"


class Finished(BaseModel):
    """Worker -> parent: the scenarios are in the request's output file; what happened on the way."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["finished"] = "finished"
    generated_rows: int
    duplicates_removed: int
    llm: LLMOutcome | None = None
    content_draws_total: int = 0
    content_draws_max: int = 0


class EndpointReply(BaseModel):
    """Parent -> worker: the endpoint, or why there is none (exactly one of the two)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    max_parallel_requests: int | None = None
    error: str | None = None

    @model_validator(mode="after")
    def _endpoint_or_error(self) -> EndpointReply:
        has_endpoint = self.base_url is not None and self.max_parallel_requests is not None
        if has_endpoint == (self.error is not None):
            raise ValueError("an endpoint reply carries base_url and max_parallel_requests, or an error")
        return self


WorkerMessage = Annotated[EndpointRequest | Finished, Field(discriminator="type")]
_WORKER_MESSAGE: TypeAdapter[EndpointRequest | Finished] = TypeAdapter(WorkerMessage)


def send(stream: TextIO, message: BaseModel) -> None:
    """One message, one line, flushed (the other side is waiting for it)."""
    stream.write(message.model_dump_json() + "\n")
    stream.flush()


def read_worker_message(line: str) -> EndpointRequest | Finished:
    """A line the worker wrote on its message channel; ValueError (a ValidationError) when it is not one."""
    return _WORKER_MESSAGE.validate_json(line)


class ParentChannel:
    """The worker's end of the channel."""

    def __init__(self, replies: TextIO, messages: TextIO) -> None:
        self._replies = replies
        self._messages = messages

    @classmethod
    def take_stdio(cls) -> ParentChannel:
        """Keep the real stdout for messages and point fd 1 at stderr, so nothing else can write to the channel."""
        sys.stdout.flush()
        messages = os.fdopen(os.dup(1), "w", encoding="utf-8")
        os.dup2(2, 1)
        return cls(open(0, encoding="utf-8", closefd=False), messages)

    def ask_endpoint(self) -> EndpointReply:
        send(self._messages, EndpointRequest())
        line = self._replies.readline()
        if not line:
            return EndpointReply(error="the parent closed the channel without a reply")
        return EndpointReply.model_validate_json(line)

    def finished(self, message: Finished) -> None:
        send(self._messages, message)
