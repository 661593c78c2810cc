"""Regenerate the shipped JSON Schemas: ``python -m simcore.schema [DIRECTORY]`` (default ``schemas``)."""

import sys

from simcore.schema.export import write_json_schemas

if __name__ == "__main__":
    for path in write_json_schemas(sys.argv[1] if len(sys.argv) > 1 else "schemas"):
        print(path)
