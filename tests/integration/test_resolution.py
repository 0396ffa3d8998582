"""Customer resolution on the demo world and on a world with look-alike and Unicode names."""

from __future__ import annotations

from pathlib import Path

import pytest

from communicator_escalation.errors import AmbiguousCustomer, CustomerNotFound
from communicator_escalation.store import Store
from communicator_escalation.store.world.loader import load_world
from communicator_escalation.workflow.context.customers import resolve_customer
from tests.support.step1_worlds import NOW, nordlicht_world


@pytest.fixture
def demo(store: Store, demo_world_path: Path) -> Store:
    load_world(store, demo_world_path)
    return store


@pytest.fixture
def nordlicht(store: Store) -> Store:
    load_world(store, nordlicht_world(), now=NOW)
    return store


@pytest.mark.parametrize(
    "query", ["c-dataflow", "DataFlow Inc.", "dataflow", "DataFlow Inc", "data flow", "DATA-FLOW", "  Dataflow  ",
              "dataf", "dataflwo", "Data Flow Incorporated"],
)
def test_demo_dataflow_variants(demo: Store, query: str) -> None:
    found = resolve_customer(demo, query=query)
    assert (found.id, found.name) == ("c-dataflow", "DataFlow Inc.")


@pytest.mark.parametrize(("query", "expected"), [("brightpath", "c-brightpath"), ("Quillon", "c-quillon"),
                                                  ("northwnd health", "c-northwind"), ("C-QUILLON", "c-quillon")])
def test_demo_other_customers(demo: Store, query: str, expected: str) -> None:
    assert resolve_customer(demo, query=query).id == expected


def test_unknown_customer_suggests_closest_names(demo: Store) -> None:
    with pytest.raises(CustomerNotFound) as info:
        resolve_customer(demo, query="Brightwater")
    assert info.value.code == "customer_not_found"
    assert "Brightwater" in info.value.message
    assert info.value.candidates[0] == "Brightpath Retail"


def test_nothing_close_has_no_candidates(demo: Store) -> None:
    with pytest.raises(CustomerNotFound) as info:
        resolve_customer(demo, query="zzqx")
    assert info.value.candidates == []


@pytest.mark.parametrize("query", ["", "   ", "Inc.", "!!"])
def test_empty_queries_are_not_found(demo: Store, query: str) -> None:
    with pytest.raises(CustomerNotFound):
        resolve_customer(demo, query=query)


@pytest.mark.parametrize("query", ["acme", "ACME", "Acm", "acme."])
def test_look_alike_names_are_ambiguous(nordlicht: Store, query: str) -> None:
    with pytest.raises(AmbiguousCustomer) as info:
        resolve_customer(nordlicht, query=query)
    assert info.value.code == "ambiguous_customer"
    assert info.value.candidates == ["Acme Corp", "Acme Labs"]


@pytest.mark.parametrize(("query", "expected"), [("Acme Corp", "k-acme-corp"), ("acme corporation", "k-acme-corp"),
                                                  ("acme labs", "k-acme-labs"), ("Acme Lab", "k-acme-labs")])
def test_full_names_settle_look_alikes(nordlicht: Store, query: str, expected: str) -> None:
    assert resolve_customer(nordlicht, query=query).id == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [("Müller & Söhne GmbH", "k-muller"), ("muller & sohne", "k-muller"), ("MÜLLER UND", "k-muller"),
     ("müller", "k-muller"), ("さくら", "k-sakura"), ("株式会社さくら", "k-sakura"), ("stille wasser", "k-still")],
)
def test_unicode_names(nordlicht: Store, query: str, expected: str) -> None:
    assert resolve_customer(nordlicht, query=query).id == expected


def test_same_name_twice_lists_ids(store: Store) -> None:
    world = nordlicht_world()
    world["customers"].append({**world["customers"][2], "id": "k-acme-corp-2"})
    load_world(store, world, now=NOW)
    with pytest.raises(AmbiguousCustomer) as info:
        resolve_customer(store, query="Acme Corp")
    assert info.value.candidates == ["Acme Corp (k-acme-corp)", "Acme Corp (k-acme-corp-2)"]
    assert resolve_customer(store, query="k-acme-corp-2").id == "k-acme-corp-2"
