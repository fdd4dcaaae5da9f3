"""A signal at any point after a run is recorded leaves it 'failed', never 'running', and
``ifsim run`` says plainly when its result was not stored."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

import ifsim.results.plots
from ifsim.experiments import cli
from ifsim.results import RunStore
from ifsim.results.errors import StoreError


@pytest.fixture(autouse=True)
def png_only(monkeypatch) -> None:
    """Figures as PNG only (their vector copies are tested in test_plots)."""
    monkeypatch.setattr(ifsim.results.plots, "FORMATS", ("png",))


TINY = ["--steps", "3", "--set", "world.n_investors=50", "--set", "world.n_borrowers=20",
        "--set", "world.n_platforms=3"]
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _signal_self(signum: int):
    def send(*_args: object, **_kwargs: object) -> None:
        os.kill(os.getpid(), signum)
    return send


def _ctrl_c(*_args: object, **_kwargs: object) -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize(("interrupt", "name", "code"), [
    (_signal_self(signal.SIGTERM), "SIGTERM", 143),
    (_signal_self(signal.SIGHUP), "SIGHUP", 129),
    (_signal_self(signal.SIGINT), "SIGINT", 130),
    (_ctrl_c, "SIGINT", 130),
], ids=["SIGTERM", "SIGHUP", "SIGINT", "KeyboardInterrupt"])
def test_signal_while_saving_the_figure_marks_the_run_failed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture,
        interrupt, name: str, code: int) -> None:
    before = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    monkeypatch.setattr(ifsim.results.plots, "save_figure", interrupt)
    assert cli.main(["run", *TINY, "--out", str(tmp_path)]) == code
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ifsim: error: run 1 interrupted by {name}: result NOT stored; "
                          f"marked failed in sqlite:///") and "\n" not in err
    with RunStore(RunStore.sqlite_url(tmp_path)) as store:
        run = store.get_run(1)
    assert run["status"] == "failed" and f"interrupted by {name}" in run["error"]
    assert {s: signal.getsignal(s) for s in STOP_SIGNALS} == before  # handlers restored


def test_an_unexpected_error_marks_the_run_failed_with_its_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ifsim.results.plots, "save_figure", broken)
    assert cli.main(["run", *TINY, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ifsim: error: run 1 failed: No space left on device") \
        and "result NOT stored; marked failed in" in err and "\n" not in err
    with RunStore(RunStore.sqlite_url(tmp_path)) as store:
        run = store.get_run(1)
    assert run["status"] == "failed" and "Traceback" in run["error"]


def test_a_store_that_cannot_take_the_result_says_it_was_not_stored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    def locked(self, run_id: int, **_kwargs: object) -> None:
        raise StoreError(f"cannot finish run {run_id} in sqlite:///x: database is locked")

    monkeypatch.setattr(RunStore, "finish_run", locked)
    assert cli.main(["run", *TINY, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ifsim: error: run 1: result NOT stored: cannot finish run 1") \
        and "database is locked; marked failed in" in err and "\n" not in err
    with RunStore(RunStore.sqlite_url(tmp_path)) as store:
        run = store.get_run(1)
    assert run["status"] == "failed" and "result not stored" in run["error"]


def test_when_even_marking_it_failed_fails_the_message_says_it_stays_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    def locked(self, run_id: int, **_kwargs: object) -> None:
        raise StoreError(f"cannot write run {run_id} in sqlite:///x: database is locked")

    monkeypatch.setattr(RunStore, "finish_run", locked)
    monkeypatch.setattr(RunStore, "fail_run", locked)
    assert cli.main(["run", *TINY, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "result NOT stored" in err
    assert "marking it failed failed too" in err and "stays 'running'" in err
