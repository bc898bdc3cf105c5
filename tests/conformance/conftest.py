from __future__ import annotations

import pytest

from merit.engine.package import load_package
from tests.conformance.fixture import build


@pytest.fixture(scope="session")
def edge_dir(tmp_path_factory):
    return build(tmp_path_factory.mktemp("conformance"))


@pytest.fixture(scope="session")
def edge_package(edge_dir):
    pkg = load_package(edge_dir)
    yield pkg
    pkg.con.close()


@pytest.fixture(scope="session")
def spark_backend(spark_session, edge_package):
    from merit.engine.backends import spark

    backend = spark.from_package(edge_package, spark_session)
    yield backend
    backend.close()
