"""`python -m secassets.defs.evaluation.register_models`: register the deployment's model partitions on the
instance (DAGSTER_HOME) before a CLI run; `dagster dev` does the same through the model_partitions sensor."""

import dagster as dg

from secassets.defs.evaluation.partitions import register_models


def main() -> None:
    from secassets.definitions import _MODELS

    with dg.DagsterInstance.get() as instance:
        added = register_models(instance, _MODELS)
    print(f"model partitions: {', '.join(_MODELS)}" + (f" (added {', '.join(added)})" if added else " (all registered)"))


if __name__ == "__main__":
    main()
