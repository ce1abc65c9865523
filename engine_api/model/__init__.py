"""The wire model: every type of the oVirt API v4 the engine speaks, loaded from wire_model.json."""
