"""Issue 11: «Empresas que comparten» is paged in SQL, only firms that share with SNI."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from storage.assessments import start_assessment, submit
from storage.bulk import insert_firms
from storage.staff import sharing_firms, sharing_firms_page


def _firms(engine: Engine, count: int) -> list[int]:
    rows = [
        {
            "ruc": f"20{i:08d}1",
            "razon_social": f"Empresa {i:02d} S.A.C.",
            "ciiu_division": 10,
            "region": "Piura",
            "annual_sales": 1000,
            "sales_year": 2025,
            "size_class": "micro",
            "workers": 3,
            "email": f"e{i}@ejemplo.pe",
            "consent_share_sni": i % 4 != 0,  # every fourth firm does not share
            "consent_statistics": True,
            "is_demo": False,
            "created_at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        }
        for i in range(count)
    ]
    with engine.begin() as connection:
        return insert_firms(connection, rows)


def test_pages_cover_the_sharing_firms_once_in_name_order(engine: Engine) -> None:
    ids = _firms(engine, 22)
    with Session(engine) as session:
        assessment = start_assessment(session, ids[1], ("q", "1", "sha256:a"), "expres")
        submit(session, assessment.id, ids[1], {"coverage": 1.0, "overall": 50.0})
        session.commit()
        everything = sharing_firms(session)
        pages = []
        total = None
        for offset in range(0, 30, 5):
            page, total = sharing_firms_page(session, "", limit=5, offset=offset)
            pages.append(page)
    assert total == len(everything) == 16
    joined = [firm for page in pages for firm in page["firm_id"]]
    assert joined == list(everything["firm_id"])  # same order, no firm twice, none missing
    first = pages[0].set_index("firm_id")
    assert first.loc[ids[1], "evaluaciones"] == 1 and first.loc[ids[2], "evaluaciones"] == 0
    assert first.loc[ids[1], "ultima"].tzinfo is not None
    assert list(pages[0].columns) == list(everything.columns)


def test_search_and_count_only_sharing_firms(engine: Engine) -> None:
    _firms(engine, 22)
    with Session(engine) as session:
        page, total = sharing_firms_page(session, "empresa 0", limit=100)
        assert total == 7  # 01, 02, 03, 05, 06, 07, 09: 00, 04 and 08 do not share
        assert list(page["razon_social"].str[:10]) == [
            f"Empresa 0{i}" for i in (1, 2, 3, 5, 6, 7, 9)
        ]
        assert sharing_firms_page(session, "no existe")[1] == 0
