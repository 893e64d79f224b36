"""The scheduling rules of tests/conftest.py hold under `pytest -n 2 --dist loadgroup` (`make test`)."""

from __future__ import annotations

import pytest


@pytest.mark.xdist_group("conftest-check")
def test_a_grouped_test_carries_its_group_in_the_node_id(request: pytest.FixtureRequest) -> None:
    """xdist schedules a group to one worker by the ``@group`` suffix of the node id; pytest 9.2 dropped the
    suffix xdist 3.8 writes, and the Prefect server and Chromium then started once per worker."""
    if not request.config.getoption("loadgroup", False):
        pytest.skip("only under --dist loadgroup")
    assert request.node.nodeid.endswith("@conftest-check")


def test_every_collected_test_has_a_node_id_of_its_own(request: pytest.FixtureRequest) -> None:
    """xdist keys its schedule by node id: items sharing one (schemathesis gives its per-operation items the
    function's id) ran once for all of them."""
    ids = [item.nodeid for item in request.session.items]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
