"""Stage 6, multimodal ground truth: images, vision-model truth, local pipeline, comparison."""
