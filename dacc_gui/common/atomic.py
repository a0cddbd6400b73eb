"""Writing a file atomically: the one way the project replaces a file it writes.

The text goes to a temporary file beside the target, which then takes the
target's name in one rename: a failed or interrupted write leaves any older
file as it was, and no temporary file behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write ``data`` (text in ``encoding``, or bytes as they are) to ``path``; the folder must exist."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with (os.fdopen(fd, "w", encoding=encoding) if isinstance(data, str) else os.fdopen(fd, "wb")) as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
