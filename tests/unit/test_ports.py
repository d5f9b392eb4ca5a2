"""Ports for a test mesh: outside the kernel's ephemeral range, never handed out twice.

CI once lost a run because a port from bind(0) was taken, between choosing it and
the auth service binding it, by an outgoing connection's local port.
"""

import socket

from deploy.local.mesh import Ports, _ephemeral_low, free_port


def test_ports_lie_below_the_ephemeral_range_and_are_distinct():
    ports = [free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)
    assert all(1024 <= port < _ephemeral_low() for port in ports)


def test_a_mesh_gets_distinct_ports_that_can_be_bound():
    ports = list(vars(Ports.free()).values())
    assert len(set(ports)) == len(ports)
    for port in ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
