"""The fault suite reuses the session broker of ``tests/conftest.py`` (scenario (b) starts its own, to stop it)."""
from __future__ import annotations

import faultkit
import pytest


@pytest.fixture(autouse=True)
def _no_worker_left_behind():
    yield
    faultkit.stop_all()
