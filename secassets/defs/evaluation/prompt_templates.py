"""prompt_templates: the template files under prompts/ as an observable source, one partition per template.

Each template's data version is its content version (secassets.evaluation.templates.content_version:
the hash of its inputs, answer fields and message text), so after an edit the UI marks exactly the
prompt_evaluations partitions of that template stale. The prompt_files sensor registers new files as
template partitions and records versions as they change (`python -m
secassets.defs.evaluation.register_partitions` does the same before a CLI run); "Observe" in the UI
records them at once. A file that fails its lint is left out and named, with its line and the fix, by
the prompt_template_files check; the rest of the code location never reads prompt files at load.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from secassets.core.vocabulary import EVALUATION_GROUP, TEMPLATES_PARTITION_NAME
from secassets.defs.evaluation.partitions import TEMPLATE_PARTITIONS, register_partitions
from secassets.evaluation.file_lint import FileProblem
from secassets.evaluation.template_files import TemplateCatalog, load_catalog
from secassets.storage.markdown import markdown_table

PROMPT_TEMPLATES = dg.AssetKey("prompt_templates")
FILES_CHECK = "prompt_template_files"
DATA_VERSION_TAG = "dagster/data_version"


def unavailable_version(name: str, catalog: TemplateCatalog) -> str:
    """The data version of a registered template whose file is missing or fails its lint (stale downstream)."""
    problems = "\n".join(str(p) for p in catalog.problems if Path(p.path).stem == name)
    return "unavailable-" + hashlib.sha256(problems.encode()).hexdigest()[:8]


def template_versions(catalog: TemplateCatalog, registered: list[str]) -> dict[str, str]:
    """Every registered or valid template's data version (valid templates first, in catalog order)."""
    versions = {name: t.version for name, t in catalog.templates.items()}
    versions.update({name: unavailable_version(name, catalog) for name in registered if name not in versions})
    return versions


def problems_markdown(problems: list[FileProblem]) -> str:
    return markdown_table([p.as_row() for p in problems], ["file", "line", "problem", "fix"])


@dg.observable_source_asset(
    name=PROMPT_TEMPLATES.path[-1],
    partitions_def=TEMPLATE_PARTITIONS,
    group_name=EVALUATION_GROUP,
    description="The prompt template files (prompts/<name>.yaml, SECASSETS_PROMPTS_DIR to read another folder): one "
    "partition per template, its data version the template's content hash. An edit makes only that template's "
    "prompt_evaluations partitions stale.",
)
def prompt_templates(context) -> dg.DataVersionsByPartition:
    catalog = load_catalog()
    registered = context.instance.get_dynamic_partitions(TEMPLATES_PARTITION_NAME)
    for problem in catalog.problems:
        context.log.warning(str(problem))
    return dg.DataVersionsByPartition({k: v for k, v in template_versions(catalog, registered).items() if k in registered})


@dg.asset_check(
    asset=prompt_templates,
    name=FILES_CHECK,
    description="Every file under prompts/ loads as a template: YAML, keys, declared inputs, answer fields, Jinja "
    "syntax, placeholders nothing fills and inputs the text never shows. Fails naming each file, line and fix; the "
    "other templates are unaffected.",
)
def prompt_template_files() -> dg.AssetCheckResult:
    return files_check_result(load_catalog())


def files_check_result(catalog: TemplateCatalog) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=not catalog.problems, severity=dg.AssetCheckSeverity.ERROR, metadata=_files_metadata(catalog))


def files_check_evaluation(catalog: TemplateCatalog) -> dg.AssetCheckEvaluation:
    """The same check result, reported without a run (by the prompt_files sensor and sync_templates)."""
    return dg.AssetCheckEvaluation(asset_key=PROMPT_TEMPLATES, check_name=FILES_CHECK, passed=not catalog.problems,
                                   severity=dg.AssetCheckSeverity.ERROR, metadata=_files_metadata(catalog))


def _files_metadata(catalog: TemplateCatalog) -> dict[str, object]:
    templates = [{"template": n, "version": t.version, "inputs": len(t.inputs), "file": t.source,
                  "description": t.description} for n, t in catalog.templates.items()]
    meta: dict[str, object] = {
        "folder": str(catalog.folder),
        "templates": dg.MetadataValue.md(markdown_table(templates, ["template", "version", "inputs", "file",
                                                                    "description"])),
        "broken_files": len(catalog.broken_files),
    }
    if catalog.problems:
        meta["problems"] = dg.MetadataValue.md(problems_markdown(catalog.problems))
    return meta


@dataclass
class TemplateSync:
    """What a sync found: partitions to add, versions to record, and the lint result."""

    catalog: TemplateCatalog
    new_partitions: list[str] = field(default_factory=list)
    observations: list[dg.AssetObservation] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.catalog.templates)} template file(s)"]
        if self.new_partitions:
            parts.append("new partitions: " + ", ".join(self.new_partitions))
        if self.observations:
            parts.append("new versions: " + ", ".join(f"{o.partition} {o.tags[DATA_VERSION_TAG]}" for o in self.observations))
        if self.catalog.problems:
            parts.append(f"{len(self.catalog.problems)} problem(s) in " + ", ".join(self.catalog.broken_files))
        return "; ".join(parts)


def _observed(instance: dg.DagsterInstance, name: str) -> str | None:
    record = instance.get_latest_data_version_record(PROMPT_TEMPLATES, is_source=True, partition_key=name)
    return None if record is None else (record.event_log_entry.tags or {}).get(DATA_VERSION_TAG)


def plan_sync(instance: dg.DagsterInstance, catalog: TemplateCatalog | None = None) -> TemplateSync:
    """Compare the files with the instance: templates to register and versions not yet recorded."""
    catalog = catalog or load_catalog()
    registered = instance.get_dynamic_partitions(TEMPLATES_PARTITION_NAME)
    sync = TemplateSync(catalog, new_partitions=[n for n in catalog.templates if n not in registered])
    for name, version in template_versions(catalog, registered).items():
        if _observed(instance, name) != version:
            template = catalog.templates.get(name)
            meta = {"version": version, "file": template.source if template else "missing or failing its lint"}
            sync.observations.append(dg.AssetObservation(asset_key=PROMPT_TEMPLATES, partition=name, metadata=meta,
                                                         tags={DATA_VERSION_TAG: version}))
    return sync


def sync_templates(instance: dg.DagsterInstance, catalog: TemplateCatalog | None = None) -> TemplateSync:
    """Register new template files and record changed versions on the instance now (CLI runs, tests)."""
    sync = plan_sync(instance, catalog)
    register_partitions(instance, TEMPLATES_PARTITION_NAME, sync.new_partitions)
    for observation in sync.observations:
        instance.report_runless_asset_event(observation)
    instance.report_runless_asset_event(files_check_evaluation(sync.catalog))
    return sync
