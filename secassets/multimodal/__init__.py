"""Stage 6: scene rendering, ground truth, the detector and local pipeline, the vision client, the comparison."""
