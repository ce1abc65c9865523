"""QEMU lab hosts: an engine whose lab hosts each run a libvirtd of their own and real qemu VMs."""

from __future__ import annotations

import pytest

from tests.conftest import under_ci
from tests.hosts.helpers import connect, ensure_estate

SHUTDOWN_TIMEOUT = 3.0  # seconds a guest has to power down or reboot by itself (the counting guest never does)


@pytest.fixture(scope="module")
def qemu_engine(tmp_path_factory):
    from engine_api.lab.libvirtd import missing_programs
    from tests import live

    if missing := missing_programs():
        reason = f"QEMU lab hosts need {', '.join(missing)} (`make setup` installs them)"
        if under_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    server = live.start(tmp_path_factory.mktemp("qlab"), lab_hosts=2, lab_hypervisor="qemu",
                        config={"monitor_interval": 0.5, "non_responsive_timeout": 3.0,
                                "vm_graceful_shutdown_timeout": SHUTDOWN_TIMEOUT})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def qconn(qemu_engine):
    connection = connect(qemu_engine)
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture(scope="module")
def qstorage(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("qnfs"))


@pytest.fixture
def qestate(qemu_engine, qconn, qstorage):
    return ensure_estate(qemu_engine, qconn, qstorage)
