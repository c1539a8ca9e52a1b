"""The Dagster layer: one folder per pipeline stage (assets with their checks), plus resources/ and sensors/.

Thin wrappers only: every asset calls the stage's plain-Python domain package of the same name.
"""
