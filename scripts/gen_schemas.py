"""Write ``schemas/estate.schema.json`` from the pydantic desired-state model (``make schemas``).

The schema is committed so editors can validate estate files without vdc installed; a test fails when it
is older than the model (run ``make schemas`` then).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "collection"))

from ansible_collections.vdc.infra.plugins.module_utils.estate.document import Estate  # noqa: E402

SCHEMAS = {"estate.schema.json": Estate}
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def render(model: type) -> str:
    """The JSON schema of ``model`` as committed: stable key order, two-space indent, final newline."""
    schema = {"$schema": DRAFT, "$id": "https://example.org/vdc/vdc/schemas/estate.schema.json",
              **model.model_json_schema(mode="validation")}
    return json.dumps(schema, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def main() -> int:
    out = ROOT / "schemas"
    out.mkdir(exist_ok=True)
    for name, model in SCHEMAS.items():
        path = out / name
        text = render(model)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
