import pathlib

import pytest

SHARED = pathlib.Path(__file__).resolve().parents[3] / "shared"


@pytest.fixture
def ctx():
    import codeanatomy as ca

    return ca.SessionContext()
