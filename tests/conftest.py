"""Shared fixtures: small worlds that run in milliseconds."""

from __future__ import annotations

import fcntl
import tempfile
from pathlib import Path

import pytest

from ifsim.ecosystem.model import EcosystemModel
from ifsim.ecosystem.params import Params


def small_params(**sections: dict) -> Params:
    """A small world (300 investors, 150 borrowers, 6 platforms) with overrides."""
    data = {"world": {"n_investors": 300, "n_borrowers": 150, "n_platforms": 6,
                      "check_conservation": True}}
    for section, values in sections.items():
        data.setdefault(section, {}).update(values)
    return Params.from_dict(data)


PLATFORM_TYPE_SHARES = {t: [1.0 if i == t else 0.0 for i in range(5)]
                        for t in range(5)}


def one_platform_world(kind: int, custody: float = 0.0, capital: int = 1_000_000,
                       **platform) -> EcosystemModel:
    """One platform of type ``kind``, two investors with 500,000 yuan each, two borrowers,
    one guarantor, no incidents, conservation checked; ``platform`` overrides the rest."""
    params = Params.from_dict({
        "world": {"n_investors": 2, "n_borrowers": 2, "n_platforms": 1,
                  "n_payment_firms": 1, "n_banks": 1, "check_conservation": True},
        "investor": {"wealth_median_cents": 50_000_000, "wealth_sigma": 0.0},
        "platform": {"type_shares": PLATFORM_TYPE_SHARES[int(kind)],
                     "custody_share": custody, "capital_median_cents": capital,
                     "capital_sigma": 0.0, "incident_prob_weekly": 0.0, **platform},
        "guarantor": {"n_guarantors": 1},
    })
    return EcosystemModel(params, seed=0)


# Tests that use the PostgreSQL server named in IFSIM_TEST_PG_URL: they drop its tables
# and one restarts it, so under pytest-xdist (several test processes) they take turns,
# holding one lock file for the whole test.
POSTGRES_TEST_FILES = {"test_store.py", "test_store_faults.py", "test_postgres_ci.py",
                       "test_postgres_restart.py"}
POSTGRES_LOCK = Path(tempfile.gettempdir()) / "ifsim-tests-postgres.lock"


def pytest_collection_modifyitems(config, items) -> None:
    """End-to-end, regression and fuzz tests are ``slow``: ``pytest -m "not slow"`` runs
    the unit and property tests alone, for a quick check while working."""
    for item in items:
        if item.path.parent.name in ("e2e", "regression", "fuzz"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def postgres_one_test_at_a_time(request):
    """Hold the PostgreSQL lock during a test of POSTGRES_TEST_FILES (autouse fixtures
    are set up before the test's own, which open the database)."""
    if request.node.path.name not in POSTGRES_TEST_FILES:
        yield
        return
    with POSTGRES_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture
def small_model() -> EcosystemModel:
    """A freshly built small world, seed 3."""
    return EcosystemModel(small_params(), seed=3)


class CountingRegulator(__import__("ifsim.agents.regulator", fromlist=["Regulator"]).Regulator):
    """A researcher's subclass, plugged in through [roles] (counts supervision calls)."""

    def __init__(self, model: EcosystemModel) -> None:
        super().__init__(model)
        self.calls = 0

    def supervise(self) -> None:
        self.calls += 1
        super().supervise()


class SteppingInvestor(__import__("ifsim.agents.investor", fromlist=["Investor"]).Investor):
    """A researcher's per-agent rule, the plain Mesa way: counts its own ``step()`` calls."""

    calls = 0

    def step(self) -> None:
        type(self).calls += 1


class DiaryInvestor(__import__("ifsim.agents.investor", fromlist=["Investor"]).Investor):
    """docs/extending.md's per-agent example: keeps a weekly record of its deposit."""

    def step(self) -> None:
        self.diary = [*getattr(self, "diary", []), self.deposit_cents]


class HerdingInvestor(__import__("ifsim.agents.investor", fromlist=["Investor"]).Investor):
    """docs/extending.md's population-level example: every failure counts twice."""

    @classmethod
    def update_beliefs(cls, model, arrears_share, failures):
        super().update_beliefs(model, arrears_share, 2 * failures)


class BrokenPlatform(__import__("ifsim.agents.platform", fromlist=["Platform"]).Platform):
    """A platform subclass that cannot be built: every run using it fails."""

    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError("this platform cannot be built")


def empty_store_url(backend: str, tmp_path: Path) -> str:
    """A store URL with no ifsim tables: a new SQLite file under ``tmp_path``, or the
    PostgreSQL database of IFSIM_TEST_PG_URL with ifsim's tables dropped."""
    import os

    import sqlalchemy as sa

    from ifsim.results import RunStore
    from ifsim.results.schema import metadata

    if backend == "sqlite":
        return RunStore.sqlite_url(tmp_path / "out")
    url = os.environ["IFSIM_TEST_PG_URL"]
    engine = sa.create_engine(url)
    metadata.drop_all(engine)
    engine.dispose()
    return url


class FlatRatePlatform(__import__("ifsim.agents.platform", fromlist=["Platform"]).Platform):
    """A researcher's platform that quotes one flat rate: the model must ask it loan by
    loan instead of screening every platform at once with the shipped rule."""

    def price(self, est_pd_annual):
        return __import__("numpy").full(len(est_pd_annual), 0.123)
