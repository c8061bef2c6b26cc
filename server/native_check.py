"""Whether compiled extensions of a package are older than their sources (see server/native_build.py)."""

from __future__ import annotations

import os


def stale_extensions(directory: str) -> list[str]:
    """Sources edited after their compiled extension (`<module>.cpython-*.so` / `.pyd`) was built."""
    with os.scandir(directory) as entries:
        files = {e.name: e.stat().st_mtime for e in entries if e.is_file()}
    out = []
    for name, built in files.items():
        if (name.endswith(".so") and ".cpython-" in name) or name.endswith(".pyd"):
            source = name.split(".", 1)[0] + ".py"
            if files.get(source, 0.0) > built:
                out.append(source)
    return sorted(out)
