"""Build hook: record the git commit the package was built from.

Everything else about the package is in pyproject.toml. A wheel has no .git, so
``ifsim.experiments.provenance`` reads the commit from ``ifsim/_build_info.json``, which
this hook writes into the build (never into the source tree).
"""

import json
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


def _git(*args: str) -> str | None:
    root = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                             timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


class BuildPyWithCommit(build_py):
    """build_py that also writes ifsim/_build_info.json with the source commit."""

    def run(self):
        super().run()
        commit = _git("rev-parse", "HEAD")
        if commit and _git("status", "--porcelain", "--untracked-files=no"):
            commit += "-dirty"
        target = Path(self.build_lib) / "ifsim" / "_build_info.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps({"commit": commit}) + "\n")


setup(cmdclass={"build_py": BuildPyWithCommit})
