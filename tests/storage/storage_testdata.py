"""Builders shared by the storage tests (a plain module: conftest is not meant to be imported)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from scoring.peru import ruc_check_digit
from storage.accounts import FirmRegistration, register_firm
from storage.models import Firm, utcnow


def valid_ruc(first_ten: str) -> str:
    return first_ten + str(ruc_check_digit(first_ten))


PASSWORD = "clave-segura-123"


def registration(**overrides: object) -> FirmRegistration:
    data: dict[str, object] = {
        "ruc": "20100070970",
        "razon_social": "Industrias Ejemplo S.A.C.",
        "ciiu_division": 22,
        "region": "Lima Metropolitana",
        "annual_sales": 5_000_000,
        "sales_year": 2025,
        "workers": 40,
        "email": "contacto@ejemplo.com.pe",
        "password": PASSWORD,
        "consent_share_sni": True,
        "consent_statistics": True,
    }
    data.update(overrides)
    return FirmRegistration(**data)  # type: ignore[arg-type]


def make_firm(
    session: Session, first_ten: str = "2010007097", verified: bool = True, **overrides: object
) -> Firm:
    """A registered firm; verified by SNI staff unless ``verified=False`` (issue 12: only
    verified firms count in peer figures and aggregates)."""
    firm = register_firm(session, registration(ruc=valid_ruc(first_ten), **overrides))
    if verified:
        firm.verified_at = utcnow()
    session.commit()
    return firm
