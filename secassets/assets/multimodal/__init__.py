"""Multimodal assets: camera images, vision-model ground truth, the local pipeline, their comparison."""
