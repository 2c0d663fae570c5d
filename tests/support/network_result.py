"""Validate the JSON result files the playbooks write (fargate_network_result_path, check_network_result_path)
against their documented shape, docs/network-result.schema.json.

    PYTHONPATH=tests python -m support.network_result result.json [...]
"""

import json
import sys
from pathlib import Path

import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "network-result.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text())


def read_result(path):
    """The result file at ``path``, validated against the schema (``jsonschema.ValidationError`` when it is not)."""
    document = json.loads(Path(path).read_text())
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    return document


def main(argv=None):
    for path in argv if argv is not None else sys.argv[1:]:
        document = read_result(path)
        print(f"{path}: valid, version {document['version']}, {document['operation']} {document['outcome']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
