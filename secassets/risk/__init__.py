"""The one risk scheme: bands, levels and the alert rule."""
