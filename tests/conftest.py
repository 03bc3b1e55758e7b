import os
from pathlib import Path

import pytest

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
SEED_000 = SAMPLES / "000_3d763aca435f5d08.txt"
SEED_002 = SAMPLES / "002_12a0a1313b8a7506.txt"
SHARED = ROOT.parent / "shared"
REAL = SHARED / "real"
REAL2 = SHARED / "real2"


def pytest_collection_modifyitems(config, items):
    """Every test that reads ../shared/real or real2 (through the real_dir, real2_dir or
    real_dirs fixture) is `real`, so `make test-fast` (-m "not real ...") leaves the slow
    real-document runs out."""
    for item in items:
        if REAL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.real)


REAL_FIXTURES = {"real_dir", "real2_dir", "real_dirs"}


@pytest.fixture(scope="session")
def real_dir() -> Path:
    if not REAL.is_dir() or not any(REAL.glob("*.pdf")):
        pytest.skip("../shared/real is not available")
    return REAL


@pytest.fixture(scope="session")
def real2_dir() -> Path:
    if not REAL2.is_dir() or not any(REAL2.glob("*.pdf")):
        pytest.skip("../shared/real2 is not available")
    return REAL2


@pytest.fixture(scope="session")
def real_dirs() -> list:
    """Every real corpus present (real2 first, as `budgetlens run ../shared/real2 ../shared/real`)."""
    dirs = [d for d in (REAL2, REAL) if d.is_dir() and any(d.glob("*.pdf"))]
    if not dirs:
        pytest.skip("../shared/real* are not available")
    return dirs


def build(path):
    from budgetlens.document.build import build_document
    from budgetlens.readers import read_blocks

    fmt, blocks = read_blocks(path)
    return build_document(blocks, str(path), fmt)


@pytest.fixture(scope="session")
def doc000():
    return build(SEED_000)


@pytest.fixture(scope="session")
def doc002():
    return build(SEED_002)
