"""promote_baseline: a person's decision to accept the current leaderboard as the new normal.

Pins data/template_leaderboard.json and the ranked evaluations' result files (every model x template) under
data/baselines/<name>/ (atomically: the old baseline stays until the new one is complete). The
regression check compares every later leaderboard with it, row by row, until it is pinned again.
"""

import json

import dagster as dg
from pydantic import Field, field_validator

from secassets.defs.evaluation.template_leaderboard import BASELINES_DIR
from secassets.defs.resources.local_files import LocalFiles
from secassets.defs.run_config import CheckedConfig
from secassets.evaluation.baselines import check_name, pin_baseline, pinned_versions
from secassets.storage.files import CorruptOutputError


class PromoteBaselineParams(CheckedConfig):
    name: str = Field(default="default", description="Baseline name: 1-40 characters a-z, 0-9, _ or -.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value)


@dg.op(description="Pin the current leaderboard and its per-row results as the baseline the regression check uses.")
def pin_current_leaderboard(context: dg.OpExecutionContext, config: PromoteBaselineParams, local_files: LocalFiles) -> None:
    board_path = local_files.path("template_leaderboard.json")
    if not board_path.is_file():
        raise dg.Failure(f"{board_path} does not exist: materialize template_leaderboard first, then pin it")
    try:
        board = json.loads(board_path.read_text(encoding="utf-8"))
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise dg.Failure(f"{board_path} is not readable JSON ({type(exc).__name__}: {exc}): re-materialize "
                         "template_leaderboard, then pin it; nothing was pinned", allow_retries=False) from None
    if not isinstance(board, dict) or not isinstance(board.get("evaluated"), list):
        raise dg.Failure(f"{board_path} was written by an older version (no models x templates): re-materialize "
                         "template_leaderboard, then pin it")
    try:
        dest = pin_baseline(board_path, local_files.path("prompt_evaluations"), list(board["evaluated"]),
                            local_files.path(BASELINES_DIR, config.name))
    except (FileNotFoundError, CorruptOutputError, ValueError) as exc:  # InvalidNameError is a ValueError
        raise dg.Failure(f"{exc}; nothing was pinned", allow_retries=False) from None
    context.add_output_metadata({"baseline": config.name, "path": dg.MetadataValue.path(str(dest)),
                                 "evaluations": ", ".join(board["evaluated"]), "models": ", ".join(board["models"]),
                                 "evaluations_fingerprint": board.get("evaluations_fingerprint", ""),
                                 "template_versions": dg.MetadataValue.json(pinned_versions(dest)),
                                 "rubric_versions": dg.MetadataValue.json(pinned_versions(dest, "rubric_versions"))})
    context.log.info(f"Pinned baseline {config.name!r} at {dest}: {', '.join(board['evaluated'])}")


@dg.job(description="Accept the current template leaderboard as the baseline (launch it from the UI after reviewing "
        "a regression); the regression check compares with it until it is pinned again.")
def promote_baseline() -> None:
    pin_current_leaderboard()
