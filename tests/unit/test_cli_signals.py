"""A signal at any point after a run is recorded leaves it 'failed', never 'running'."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

import ifsim.results.plots
from ifsim.experiments import cli
from ifsim.results import RunStore

TINY = ["--steps", "3", "--set", "world.n_investors=50", "--set", "world.n_borrowers=20",
        "--set", "world.n_platforms=3"]


def _sigterm_self(*_args: object, **_kwargs: object) -> None:
    os.kill(os.getpid(), signal.SIGTERM)


def _ctrl_c(*_args: object, **_kwargs: object) -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize("interrupt", [_sigterm_self, _ctrl_c], ids=["SIGTERM", "SIGINT"])
def test_signal_while_saving_the_figure_marks_the_run_failed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture,
        interrupt) -> None:
    monkeypatch.setattr(ifsim.results.plots, "save_figure", interrupt)
    code = cli.main(["run", *TINY, "--out", str(tmp_path)])
    assert code == 130
    err = capsys.readouterr().err.strip()
    assert err.startswith("ifsim: error: run 1 interrupted") and "\n" not in err
    with RunStore(RunStore.sqlite_url(tmp_path)) as store:
        run = store.get_run(1)
    assert run["status"] == "failed" and "interrupted" in run["error"]
    assert signal.getsignal(signal.SIGTERM) is not cli._raise_interrupted  # restored


def test_an_unexpected_error_marks_the_run_failed_with_its_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(ifsim.results.plots, "save_figure", broken)
    assert cli.main(["run", *TINY, "--out", str(tmp_path)]) == 1
    assert "disk full" in capsys.readouterr().err
    with RunStore(RunStore.sqlite_url(tmp_path)) as store:
        run = store.get_run(1)
    assert run["status"] == "failed" and "Traceback" in run["error"]
