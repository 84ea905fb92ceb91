"""The JSON descriptor tests read to find a running lab: endpoints, admin token, certificates, accounts.

Invariant: the file appears atomically (written under a temporary name, then renamed) and only after
every listener accepts connections, so a reader that sees it can use it at once. It holds passwords,
so it is readable by its owner only.
"""

from __future__ import annotations

import json
import os
from typing import Any


def write_descriptor(path: str, descriptor: dict[str, Any]) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(descriptor, handle, indent=2, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def remove_descriptor(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
