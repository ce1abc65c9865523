"""The committed JSON schema is the one the desired-state model generates."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_committed_estate_schema_is_current():
    spec = importlib.util.spec_from_file_location("gen_schemas", ROOT / "scripts" / "gen_schemas.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    committed = (ROOT / "schemas" / "estate.schema.json").read_text()
    assert committed == gen.render(gen.Estate), "schemas/estate.schema.json is stale: run `make schemas`"
