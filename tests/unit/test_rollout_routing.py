"""The routing file and the route each client gets: validation, shares, stickiness, switches."""

import json
import logging

import pytest

from toxicity_ui.routing import (Routing, RoutingError, RoutingTable, in_canary, read_routing_file, route,
                                 write_routing_file)


@pytest.mark.parametrize("data, message", [
    ([], "JSON object"),
    ({"mode": "blue-green"}, "mode must be one of"),
    ({"mode": "shadow"}, "needs a candidate"),
    ({"mode": "canary", "candidate": "2.0", "canary_percent": 101}, "from 0 to 100"),
    ({"mode": "canary", "candidate": "2.0", "canary_percent": -1}, "from 0 to 100"),
    ({"mode": "canary", "candidate": "2.0", "canary_percent": "10"}, "from 0 to 100"),
    ({"mode": "canary", "candidate": "2.0", "canary_percent": True}, "from 0 to 100"),
    ({"mode": "shadow", "candidate": "../../models"}, "model version"),
    ({"mode": "shadow", "candidate": "2.0?x=1"}, "model version"),
    ({"mode": "shadow", "candidate": 2.0}, "model version"),
])
def test_an_invalid_routing_is_refused_with_the_reason(data, message):
    with pytest.raises(RoutingError, match=message):
        Routing.from_dict(data)


def test_each_mode_routes_as_documented():
    assert route(Routing(), "anyone").answered_by == "primary"
    assert not route(Routing(), "anyone").compare
    shadow = route(Routing("shadow", "2.0"), "anyone")
    assert (shadow.answered_by, shadow.answer_version, shadow.compare, shadow.compare_version) == \
        ("primary", None, True, "2.0")
    assert route(Routing("canary", "2.0", 0), "anyone").answered_by == "primary"
    everyone = route(Routing("canary", "2.0", 100), "anyone")
    assert (everyone.answered_by, everyone.answer_version, everyone.compare, everyone.compare_version) == \
        ("candidate", "2.0", True, None)


def test_the_canary_share_holds_over_many_clients_and_grows_without_moving_anyone_out():
    clients = [f"client-{number}" for number in range(10_000)]
    at_10 = {c for c in clients if in_canary(c, Routing("canary", "2.0", 10))}
    at_30 = {c for c in clients if in_canary(c, Routing("canary", "2.0", 30))}
    assert 900 <= len(at_10) <= 1100 and 2800 <= len(at_30) <= 3200
    assert at_10 <= at_30, "raising the share moved clients out of the canary"
    # Another candidate draws its own clients.
    other = {c for c in clients if in_canary(c, Routing("canary", "3.0", 10))}
    assert len(other & at_10) < len(at_10) / 2


def test_a_client_always_lands_on_the_same_side():
    routing = Routing("canary", "2.0", 50)
    for client in ("a", "b", "c", "d"):
        assert len({route(routing, client).answered_by for _ in range(20)}) == 1


def test_the_table_follows_the_file_and_ignores_a_broken_one(tmp_path, caplog):
    path = tmp_path / "rollout" / "routing.json"
    table = RoutingTable(str(path), check_interval=0)
    assert table.current() == Routing()  # no file: primary
    write_routing_file(str(path), Routing("canary", "2.0", 25))
    assert table.current() == Routing("canary", "2.0", 25.0)
    assert json.loads(path.read_text())["mode"] == "canary"
    path.write_text('{"mode": "shadow"')  # half a file: primary, and said once
    with caplog.at_level(logging.ERROR):
        assert table.current() == Routing()
        assert table.current() == Routing()
    assert sum("routing file ignored" in record.message for record in caplog.records) == 1
    write_routing_file(str(path), Routing("shadow", "2.0"), changed="now")
    assert table.current().mode == "shadow"
    path.unlink()
    assert table.current() == Routing()


def test_the_table_reads_the_file_at_most_once_per_interval(tmp_path):
    path = tmp_path / "routing.json"
    table = RoutingTable(str(path), check_interval=3600)
    assert table.current().mode == "primary"
    write_routing_file(str(path), Routing("shadow", "2.0"))
    assert table.current().mode == "primary"  # not checked again yet
    table.check_interval = 0
    assert table.current().mode == "shadow"


def test_an_unreadable_file_is_an_error_to_the_command(tmp_path):
    path = tmp_path / "routing.json"
    path.write_text("not json")
    with pytest.raises(RoutingError, match="cannot read"):
        read_routing_file(str(path))
