"""Each table contract in ``schemas.tables`` equals the table the migrations build (real embedded ClickHouse)."""
from __future__ import annotations

import re

import pytest

from schemas.tables import TABLES
from skillpulse import storage
from skillpulse.settings import Settings

DB = "skillpulse"


def _normal(ch_type: str) -> str:
    """DESCRIBE prints long types over several lines; one space, none after '(' or before ')'."""
    return re.sub(r"\s*\)", ")", re.sub(r"\(\s+", "(", re.sub(r"\s+", " ", ch_type))).strip()


@pytest.fixture(scope="module")
def described(tmp_path_factory) -> dict[str, list[tuple[str, str]]]:
    client = storage.connect(Settings(), url=f"chdb://{tmp_path_factory.mktemp('contracts') / 'ch'}")
    try:
        storage.migrate(client, DB)
        tables = [r[0] for r in client.query(
            "SELECT name FROM system.tables WHERE database = {db:String} AND engine NOT LIKE '%View'",
            parameters={"db": DB}).result_rows]
        return {t: [(r[0], _normal(r[1])) for r in client.query(f"DESCRIBE TABLE {DB}.{t}").result_rows]
                for t in tables}
    finally:
        client.close()


def test_every_table_has_a_contract(described):
    assert sorted(described) == sorted(TABLES)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_contract_matches_describe_table(described, name):
    contract = TABLES[name]
    assert [(c.name, c.type) for c in contract.columns] == described[name]


def test_row_types_hold_the_written_columns_in_table_order():
    for contract in TABLES.values():
        written = [c.name for c in contract.columns if c.written]
        assert list(contract.row._fields) == written == list(contract.written)
        assert all(contract.index(n) == i for i, n in enumerate(written))
