from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lsat_core.errors import ConfigError
from lsat_core.store import make_engine, temporary_schema, url_with_schema


def test_the_schema_travels_in_the_url_as_a_search_path() -> None:
    url = url_with_schema("postgresql+psycopg://u:p%40ss@h:5432/db?application_name=x", "lsat_a")
    parsed = make_url(url)
    assert parsed.password == "p@ss"
    assert parsed.query == {"application_name": "x", "options": "-csearch_path=lsat_a"}


@pytest.mark.parametrize(
    ("url", "schema", "message"),
    [
        ("sqlite:///x.db", "lsat_a", "schemas need PostgreSQL"),
        ("postgresql+psycopg://h/db", "lsat; drop table runs", "not a plain lower-case"),
        ("postgresql+psycopg://h/db", "Upper", "not a plain lower-case"),
    ],
)
def test_only_plain_schema_names_on_postgresql(url: str, schema: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        url_with_schema(url, schema)


@pytest.mark.postgres
def test_a_temporary_schema_is_private_and_dropped_after(postgres_url: str) -> None:
    with temporary_schema(postgres_url) as url:
        engine = make_engine(url)
        with engine.begin() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
            connection.execute(text("CREATE TABLE probe (id integer)"))
        engine.dispose()
        assert schema.startswith("lsat_test_")
    admin = create_engine(postgres_url)
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s"),
            {"s": schema},
        ).scalar_one()
    admin.dispose()
    assert exists == 0
