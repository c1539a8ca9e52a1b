"""`python -m secassets.defs.evaluation.register_partitions`: register the deployment's models and the template files
as partitions on the instance (DAGSTER_HOME) before a CLI run, and print the run tags that cover all of them;
`dagster dev` does the same through the model_partitions and prompt_files sensors."""

import json
import sys

import dagster as dg

from secassets.defs.evaluation.partitions import instance_partitions_tags, register_models
from secassets.defs.evaluation.prompt_templates import sync_templates


def main() -> None:
    from secassets.definitions import _MODELS

    with dg.DagsterInstance.get() as instance:
        added = register_models(instance, _MODELS)
        sync = sync_templates(instance)
        tags = instance_partitions_tags(instance)
    print(f"model partitions: {', '.join(_MODELS)}" + (f" (added {', '.join(added)})" if added else ""), file=sys.stderr)
    print(f"templates: {sync.summary()}", file=sys.stderr)
    for problem in sync.catalog.problems:
        print(f"  {problem}", file=sys.stderr)
    if "--tags" in sys.argv[1:]:
        if tags is None:
            sys.exit("no template file loads: fix the problems above (prompts/*.yaml), then run again")
        print(json.dumps(tags))


if __name__ == "__main__":
    main()
