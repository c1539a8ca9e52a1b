"""Stage 2: grounding, deterministic text, Data Designer wiring, LLM writer/judge passes, the worker."""
