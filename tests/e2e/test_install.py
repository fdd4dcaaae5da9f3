"""The package installs as ``ifsim`` and does not clash with a user's own packages.

A fresh virtual environment gets ``pip install`` of this source tree (a real wheel build,
not an editable install). Its dependencies come from the test environment through a path
entry, so the test needs no network; the full ``pip install .`` with dependencies from the
registry behaves the same and is what README's install line runs. From a research folder
that holds its own ``experiments/`` and ``results/`` packages, ``ifsim.experiments`` and
``ifsim.results`` must still be ifsim's, and ``ifsim --version`` prints the version.
"""

from __future__ import annotations

import json
import site
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with ifsim installed from this tree; returns its bin directory."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    py = bin_dir / "python"
    purelib = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # dependencies (mesa, pandas, ...) from the environment running the tests
    Path(purelib, "test_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    done = subprocess.run([py, "-m", "pip", "install", "--no-deps", "--quiet",
                           "--disable-pip-version-check", str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return bin_dir


def test_installed_namespace_is_ifsim_beside_a_users_own_packages(installed, tmp_path) -> None:
    research = tmp_path / "research"
    for own in ("experiments", "results"):
        (research / own).mkdir(parents=True)
        (research / own / "__init__.py").write_text("MINE = True\n")
    probe = ("import json, ifsim, ifsim.experiments, ifsim.results, experiments, results\n"
             "from ifsim.experiments.spec import load_spec\n"
             "from ifsim.experiments.provenance import git_commit\n"
             "print(json.dumps({'version': ifsim.__version__, 'file': ifsim.__file__,\n"
             "  'ours': ifsim.experiments.__file__, 'mine': experiments.MINE and results.MINE,\n"
             "  'commit': git_commit()}))\n")
    done = subprocess.run([installed / "python", "-c", probe], cwd=research,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["version"] == _project_version()
    assert seen["mine"] is True  # the user's packages are untouched
    assert "site-packages" in seen["file"] and "site-packages" in seen["ours"]
    # a wheel has no .git: the commit comes from what the build recorded
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"],
                          capture_output=True, text=True)
    if head.returncode == 0:
        assert seen["commit"].startswith(head.stdout.strip())

    version = subprocess.run([installed / "ifsim", "--version"], cwd=research,
                             capture_output=True, text=True, timeout=120)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith(f"ifsim {_project_version()}")


def test_installed_package_runs_a_short_scenario(installed, tmp_path) -> None:
    done = subprocess.run([installed / "ifsim", "run", "small", "--steps", "3",
                           "--out", str(tmp_path / "out"), "--json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["steps"] == 3


def _project_version() -> str:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
