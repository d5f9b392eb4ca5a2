"""The per-address limits of the open routes, as billing's rate-limit service
decides them (services/billing/ratelimit.py): which counter a client address
lands on, and which addresses are not counted."""

from __future__ import annotations

from services.billing.catalog import Catalog
from services.billing.ratelimit import limit_for, networks

CATALOG = Catalog.load()


def register_from(address: str, exempt=()) -> tuple[str, int, str] | None:
    return limit_for(CATALOG, {"remote_address": address, "class": "register"}, exempt=exempt)


def test_an_ipv4_client_has_a_counter_of_its_own_per_route():
    spec = CATALOG.data["address_limits"]["register"]
    assert register_from("203.0.113.7") == ("address:203.0.113.7:register", spec["requests"], spec["unit"])
    assert register_from("203.0.113.8")[0] != register_from("203.0.113.7")[0]
    login = limit_for(CATALOG, {"remote_address": "203.0.113.7", "class": "login"})
    assert login[0] == "address:203.0.113.7:login"


def test_an_ipv6_client_is_counted_by_its_64_and_a_mapped_ipv4_as_ipv4():
    # One host commonly holds a whole /64: counting each address would let it rotate forever.
    assert register_from("2001:db8:1:2::1")[0] == register_from("2001:db8:1:2:ffff::9")[0] == "address:2001:db8:1:2::/64:register"
    assert register_from("2001:db8:1:3::1")[0] != register_from("2001:db8:1:2::1")[0]
    assert register_from("::ffff:203.0.113.7")[0] == "address:203.0.113.7:register"


def test_exempt_addresses_and_unknown_classes_are_not_counted():
    exempt = networks("127.0.0.1, 10.0.0.0/8")
    assert register_from("127.0.0.1", exempt) is None
    assert register_from("10.1.2.3", exempt) is None
    assert register_from("127.0.0.2", exempt) is not None
    assert limit_for(CATALOG, {"remote_address": "203.0.113.7", "class": "no-such-route"}) is None
    assert register_from("not an address") is None


def test_user_descriptors_keep_their_plan_limits():
    assert limit_for(CATALOG, {"user": "u1", "plan": "free"}, "free") == ("u1:plan", 100, "hour")
    assert limit_for(CATALOG, {"user": "u1", "class": "subscription"}, "free") == ("u1:subscription", 10, "minute")
