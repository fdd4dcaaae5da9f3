"""Where a run came from: code version, git commit, host."""

from __future__ import annotations

import socket
import subprocess
from importlib import metadata
from pathlib import Path


def ifsim_version() -> str:
    """Installed version of the ifsim distribution."""
    try:
        return metadata.version("ifsim")
    except metadata.PackageNotFoundError:
        return "unknown"


def git_commit() -> str | None:
    """Commit of the source tree, if it is a git checkout ("-dirty" when modified)."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=5, check=True)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def host() -> str:
    """Name of this machine."""
    return socket.gethostname()
