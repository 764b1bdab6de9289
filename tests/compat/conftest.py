"""The engine with the fixture packs, shared by a test module."""

from __future__ import annotations

import pytest
from compat_helpers import Packs, packs_engine


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> Packs:
    return Packs(packs_engine(tmp_path_factory.mktemp("compat")))
