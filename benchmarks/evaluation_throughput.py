"""Evaluation throughput vs. a plain concurrent load and a sequential client, and the cached re-run speed-up.

Usage: .venv/bin/python benchmarks/evaluation_throughput.py [N_PROMPTS] [TEMPLATE]   (default 16 enriched)
Each mode runs against a freshly started managed server (bundled model, 4 slots) so no mode
inherits another's prompt cache. The same prompts, schema and sampling are sent in every mode.
Prints wall seconds per mode and these ratios, with their targets:
  eval / plain-concurrent throughput (>= 0.9), eval / sequential throughput (>= 1.5),
  uncached / cached wall time of the same evaluation (>= 50).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from secassets.evaluation.runner import EvaluationSettings, evaluate_template, evaluation_set
from secassets.evaluation.template_files import builtin_templates
from secassets.llm.cache import ResponseCache
from secassets.llm.chat import chatml
from secassets.llm.client import LlamaClient
from secassets.llm.server import ManagedLlamaServer, ServerSettings, bundled_model_path
from secassets.sampling.data_designer import sampler_config_builder, write_sampler_yaml
from secassets.sampling.spec import SamplerSpec
from secassets.scenarios.worker import generate_scenarios

SLOTS = 4


def fresh_server() -> ManagedLlamaServer:
    server = ManagedLlamaServer(ServerSettings(model_path=bundled_model_path(), parallel=SLOTS, ctx_size=8192))
    server.start()
    return server


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    template = builtin_templates()[sys.argv[2] if len(sys.argv) > 2 else "enriched"]
    settings = EvaluationSettings()  # n_predict 400, temperature 0 (the asset gives each template its answer budget)
    with tempfile.TemporaryDirectory() as tmp:
        spec = SamplerSpec(num_scenarios=200)
        df = generate_scenarios(spec, write_sampler_yaml(sampler_config_builder(spec), Path(tmp) / "s.yaml"), Path(tmp) / "w").scenarios
        rows = evaluation_set(df, None, n, 42)
        prompts = [template.render(r) for r in rows.to_dict("records")]
        schema = template.answer_schema()
        timings: dict[str, float] = {}
        tokens: list = []

        def timed(name, fn):
            server = fresh_server()
            client = LlamaClient([server.base_url], capacities=[SLOTS])
            try:
                start = time.perf_counter()
                fn(client)
                timings[name] = time.perf_counter() - start
            finally:
                client.close()
                server.stop()
            print(f"{name}: {timings[name]:.1f} s", flush=True)

        def call(client, p):
            return client.complete(p, n_predict=settings.n_predict, json_schema=schema, temperature=0.0, seed=settings.seed)

        timed("sequential", lambda c: [call(c, p) for p in prompts])
        timed("plain_concurrent", lambda c: list(c.map(lambda p: call(c, p), prompts)))
        cache = ResponseCache(Path(tmp) / "cache")

        def evaluate(client):
            return evaluate_template(
                template, rows, cache=cache, model_id="bench", settings=settings, map_fn=client.map,
                complete=lambda m, s, st: client.complete(chatml(m), n_predict=st.n_predict, json_schema=s,
                                                          temperature=st.temperature, seed=st.seed),
            )

        timed("evaluation_uncached", lambda c: tokens.append(evaluate(c)[0]))
        start = time.perf_counter()
        _, stats = evaluate_template(template, rows, cache=cache, model_id="bench", settings=settings,
                                     map_fn=lambda f, xs: iter([f(x) for x in xs]), complete=lambda *a: None)  # type: ignore[arg-type,return-value]
        timings["evaluation_cached"] = time.perf_counter() - start
        assert stats.server_calls == 0
    evals = tokens[0]
    print(
        f"prompts={n} template={template.name} slots={SLOTS} "
        f"prompt_tokens={int(evals['prompt_tokens'].sum())} completion_tokens={int(evals['completion_tokens'].sum())}\n"
        f"eval_vs_plain_concurrent_throughput={timings['plain_concurrent'] / timings['evaluation_uncached']:.2f} (>=0.9)\n"
        f"eval_vs_sequential_throughput={timings['sequential'] / timings['evaluation_uncached']:.2f} (>=1.5)\n"
        f"cached_rerun_speedup={timings['evaluation_uncached'] / timings['evaluation_cached']:.0f}x (>=50)"
    )


if __name__ == "__main__":
    main()
