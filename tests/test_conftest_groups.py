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
