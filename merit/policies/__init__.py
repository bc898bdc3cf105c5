"""Policy versions: presets and custom policies stored as immutable, engine-validated versions."""
