"""Inventory fixtures: a parts warehouse, a scrap area, a part and a stocked part."""

import pytest

from tests.inventory.factories import PartFactory, ScrapAreaFactory, WarehouseFactory, stock


@pytest.fixture
def main(db):
    return WarehouseFactory(code="MAIN", name="总部配件仓")


@pytest.fixture
def scrap_area(db):
    return ScrapAreaFactory()


@pytest.fixture
def part(db):
    return PartFactory(code="HDD-1T", name="服务器硬盘", specification="1TB SATA", unit="块")


@pytest.fixture
def stocked(part, main, warehouse):
    """``part`` with 10 on hand in ``main``."""
    stock(part, main, 10, warehouse)
    return part

