"""`secassets-llama-server`: llama.cpp's own HTTP server (xllamacpp build) behind llama-server's flags.

The managed LlamaServer resource starts this by default; a compiled `llama-server` binary takes the
same flags, so either can be configured. Binds where --host says (the resource always passes
127.0.0.1, after any extra flags, so its value wins); SIGTERM or SIGINT stops it. `--version` names the
xllamacpp build, which is part of the model identity in every cache key.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="secassets-llama-server", description=__doc__)
    p.add_argument("-m", "--model", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("-c", "--ctx-size", type=int, default=4096)
    p.add_argument("-np", "--parallel", type=int, default=1)
    p.add_argument("-t", "--threads", type=int, default=-1)
    p.add_argument("-ngl", "--n-gpu-layers", type=int, default=0)
    p.add_argument("-a", "--alias", default="")
    p.add_argument("--embeddings", action="store_true")
    p.add_argument("--pooling", choices=["none", "mean", "cls", "last"], default=None)
    p.add_argument("--metrics", action="store_true")
    p.add_argument("--no-webui", action="store_true")
    p.add_argument("--seed", type=int, default=-1)
    p.add_argument("--version", action="version", version=f"version: xllamacpp-{_xllamacpp_version()}")
    return p.parse_args(argv)


def _xllamacpp_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("xllamacpp")
    except PackageNotFoundError:
        return "not-installed"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.hostnames = [args.host]
    params.port = args.port
    params.n_ctx = args.ctx_size
    params.n_parallel = args.parallel
    if args.threads > 0:
        params.cpuparams.n_threads = args.threads
        params.cpuparams_batch.n_threads = args.threads
    params.n_gpu_layers = args.n_gpu_layers
    params.endpoint_metrics = args.metrics
    params.endpoint_slots = True
    params.endpoint_props = True
    params.ui = False
    if args.alias:
        params.model_alias = {args.alias}
    if args.embeddings:
        params.embedding = True
        if args.pooling:
            params.pooling_type = getattr(xllamacpp.llama_pooling_type, f"LLAMA_POOLING_TYPE_{args.pooling.upper()}")
    if args.seed >= 0:
        params.sampling.seed = args.seed
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server = xllamacpp.Server(params)
    print(f"secassets-llama-server listening on {server.listening_address}", flush=True)
    stop.wait()
    del server
    return 0


if __name__ == "__main__":
    sys.exit(main())
