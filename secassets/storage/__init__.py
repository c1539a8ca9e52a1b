"""Atomic writes, deterministic parquet/npz/PNG, markdown tables, work folders."""
