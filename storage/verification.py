"""Verification of firms by SNI staff: only verified firms count in peer figures and aggregates.

Registration accepts any RUC with a valid check digit, so a registration alone proves nothing:
a person of the SNI team checks the firm (for example against SUNAT's RUC record and a call to
the registered contact) and marks it verified in the panel. Every change is audited. Demo firms
are never verified (they count only in demo mode).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import audit
from storage.models import Firm, utcnow

VERIFY_ACTION = "verificar_empresa"
UNVERIFY_ACTION = "retirar_verificacion"


class VerificationError(ValueError):
    """The firm cannot be verified (unknown, or a demo firm)."""


def verify_firm(session: Session, firm_id: int, staff_account_id: int, note: str = "") -> Firm:
    """Mark the firm verified by ``staff_account_id`` (audited); idempotent."""
    firm = session.get(Firm, firm_id)
    if firm is None:
        raise VerificationError("La empresa no existe.")
    if firm.is_demo:
        raise VerificationError("Las empresas de demostración no se verifican.")
    if firm.verified_at is None:
        firm.verified_at = utcnow()
        firm.verified_by = staff_account_id
        audit.record(
            session,
            staff_account_id,
            VERIFY_ACTION,
            f"empresa:{firm.id}",
            {"ruc": firm.ruc, "nota": note.strip()[:200]},
        )
    return firm


def unverify_firm(session: Session, firm_id: int, staff_account_id: int, note: str = "") -> Firm:
    """Withdraw the verification (audited): the firm stops counting from the next view."""
    firm = session.get(Firm, firm_id)
    if firm is None:
        raise VerificationError("La empresa no existe.")
    if firm.verified_at is not None:
        firm.verified_at = None
        firm.verified_by = None
        audit.record(
            session,
            staff_account_id,
            UNVERIFY_ACTION,
            f"empresa:{firm.id}",
            {"ruc": firm.ruc, "nota": note.strip()[:200]},
        )
    return firm


def unverified_firms(session: Session, search: str = "") -> list[Firm]:
    """Real (non-demo) firms waiting for verification, oldest registration first."""
    query = (
        select(Firm)
        .where(Firm.verified_at.is_(None), Firm.is_demo.is_(False))
        .order_by(Firm.created_at, Firm.id)
    )
    text = search.strip()
    if text:
        query = query.where(Firm.ruc.like(f"%{text}%") | Firm.razon_social.ilike(f"%{text}%"))
    return list(session.scalars(query.limit(200)))
