"""The command line of a build script (``models/build_japan.py``, ``models/build_universe.py``):
build, then write the generated files, or with ``--check`` compare them with the
committed ones (exit 1 naming the stale files)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from .base import ROOT, BuildError


def build_command(name: str, description: str, build: Callable[[], dict[Path, str]], argv=None) -> int:
    """Run ``build()`` (path -> generated text) as script ``models/<name>.py``; returns the
    exit status: 0 written or up to date, 1 a build error or (``--check``) stale files."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed files differ from a fresh build")
    args = parser.parse_args(argv)
    try:
        outputs = build()
    except BuildError as exc:
        print(f"{name}: FAILED: {exc}", file=sys.stderr)
        return 1
    stale = []
    for path, text in outputs.items():
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print(f"{name}: out of date (rerun `python models/{name}.py`): " + ", ".join(stale), file=sys.stderr)
        return 1
    if args.check:
        print(f"{name}: up to date")
    return 0
