"""Where a run came from: code version, git commit, host."""

from __future__ import annotations

import json
import socket
import subprocess
from importlib import metadata, resources
from pathlib import Path


def ifsim_version() -> str:
    """Installed version of the ifsim distribution."""
    try:
        return metadata.version("ifsim")
    except metadata.PackageNotFoundError:
        return "unknown"


def git_commit() -> str | None:
    """Commit of the code that runs ("-dirty" when modified).

    A source checkout (editable install) asks git; an installed wheel has no .git and
    reads the commit its build recorded (``ifsim/_build_info.json``, written by setup.py).
    """
    return _checkout_commit() or _built_commit()


def _checkout_commit() -> str | None:
    root = Path(__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file():
        return None  # installed into site-packages: the enclosing repo, if any, is not ours
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=5, check=True)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def _built_commit() -> str | None:
    try:
        info = resources.files("ifsim").joinpath("_build_info.json").read_text()
        return json.loads(info).get("commit")
    except (OSError, ValueError, ModuleNotFoundError):
        return None


def host() -> str:
    """Name of this machine."""
    return socket.gethostname()
