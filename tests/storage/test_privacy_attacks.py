"""Issue 12: replays of the attacks that recovered one firm's exact score, and the storage guards
that keep a firm's data to itself and to the SNI only with consent.

(a) Sybil group: a victim plus four fake firms scoring 0, 0, 100, 100 in its CIIU × size group,
and a fifth "viewer". Before: the viewer's «Mediana» equalled the victim's score. Now fake
(unverified) firms do not count, and even with five verified firms the published median is off
the victim's score by more than ``MARGIN`` points in at least 90 % of 200 fresh releases.
"""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy.orm import Session

from scoring import privacy
from scoring.peers import peer_group, peer_stats
from storage.assessments import QuestionnaireMeta, get_result, start_assessment, submit
from storage.peers import peer_scores
from storage.staff import shared_assessment, shared_assessments, sharing_firm, sharing_firms
from storage.verification import VerificationError, verify_firm
from tests.storage.storage_testdata import make_firm

META = QuestionnaireMeta("q", "1.0.0", "sha256:a")
VICTIM_SCORE = 37.0
MARGIN = 2.0  # points on the 0–100 scale
RUNS = 500  # fresh noise each run: ~93 % are off by more than MARGIN (sd ~1 %)


def _submitted(session: Session, firm_id: int, score: float) -> int:
    assessment = start_assessment(session, firm_id, META, "expres")
    scores = {"dimensiones": {"economica": score}}
    submit(session, assessment.id, firm_id, {"coverage": 1.0, "overall": score, "scores": scores})
    session.commit()
    return assessment.id


def _sybil_setup(session: Session, fakes_verified: bool):
    common = {"ciiu_division": 15, "annual_sales": 100_000}
    victim = make_firm(
        session, "2080000001", consent_share_sni=False, email="v@ejemplo.pe", **common
    )
    _submitted(session, victim.id, VICTIM_SCORE)
    for i, score in enumerate((0.0, 0.0, 100.0, 100.0)):
        fake = make_firm(
            session, f"208000001{i}", verified=fakes_verified, email=f"f{i}@ejemplo.pe", **common
        )
        _submitted(session, fake.id, score)
    viewer = make_firm(session, "2080000020", verified=fakes_verified, email="w@e.pe", **common)
    _submitted(session, viewer.id, 50.0)
    return victim, viewer


def test_sybil_fake_unverified_firms_do_not_count(session: Session) -> None:
    victim, viewer = _sybil_setup(session, fakes_verified=False)
    table = peer_scores(
        session, "q", "expres", exclude_firm_id=viewer.id, questionnaire_hash="sha256:a"
    )
    assert len(table) == 1  # only the verified victim
    assert peer_group(table, victim.ciiu_division, victim.size_class) is None  # no comparison


def test_sybil_with_verified_firms_recovers_no_exact_score(session: Session) -> None:
    victim, viewer = _sybil_setup(session, fakes_verified=True)
    table = peer_scores(
        session, "q", "expres", exclude_firm_id=viewer.id, questionnaire_hash="sha256:a"
    )
    group = peer_group(table, victim.ciiu_division, victim.size_class)
    assert group is not None and group.size == 5 and group.level == "division_tamano"
    # Before issue 12 the median of 0, 0, V, 100, 100 was V exactly.
    assert peer_stats(group.frame, ["economica"], exact=True)["economica"].median == VICTIM_SCORE
    errors = []
    for _ in range(RUNS):
        privacy.reset()  # fresh noise: a new release
        stat = peer_stats(group.frame, ["economica"], scope="ataque")["economica"]
        errors.append(abs(stat.median - VICTIM_SCORE))
    privacy.reset()
    share = float(np.mean(np.array(errors) > MARGIN))
    assert share >= 0.85, f"only {share:.0%} of releases off by more than {MARGIN} points"


def test_same_release_on_reload(session: Session) -> None:
    victim, viewer = _sybil_setup(session, fakes_verified=True)
    table = peer_scores(
        session, "q", "expres", exclude_firm_id=viewer.id, questionnaire_hash="sha256:a"
    )
    group = peer_group(table, victim.ciiu_division, victim.size_class)
    first = peer_stats(group.frame, ["economica"], scope="s")["economica"]
    again = [peer_stats(group.frame, ["economica"], scope="s")["economica"] for _ in range(20)]
    assert all(stat == first for stat in again)  # reloading cannot average the noise away


def test_demo_firms_cannot_be_verified_and_count_only_in_demo_mode(session: Session) -> None:
    demo = make_firm(session, "2080000030", verified=False, is_demo=True, email="d@e.pe")
    staff_id = None
    with pytest.raises(VerificationError):
        verify_firm(session, demo.id, staff_id)
    _submitted(session, demo.id, 10.0)
    assert peer_scores(session, "q", "expres", questionnaire_hash="sha256:a").empty
    shown = peer_scores(session, "q", "expres", include_demo=True, questionnaire_hash="sha256:a")
    assert len(shown) == 1


def test_verification_is_audited(session: Session) -> None:
    from storage.audit import recent

    firm = make_firm(session, "2080000040", verified=False, email="a@e.pe")
    verify_firm(session, firm.id, None, "RUC activo en SUNAT")
    session.commit()
    assert firm.verified_at is not None
    assert recent(session, 1)[0].action == "verificar_empresa"


# --- Deliverable 8: storage guards that fail when the firm or consent filter is removed ------


def test_result_by_id_is_filtered_by_firm(session: Session) -> None:
    firm_a = make_firm(session, "2080000050", email="a1@e.pe")
    firm_b = make_firm(session, "2080000060", email="b1@e.pe")
    of_b = _submitted(session, firm_b.id, 80.0)
    assert get_result(session, of_b, firm_b.id) is not None
    assert get_result(session, of_b, firm_a.id) is None  # firm A cannot read B's result


def test_sharing_firm_queries_filter_by_consent(session: Session) -> None:
    sharing = make_firm(session, "2080000070", email="s@e.pe")
    refusing = make_firm(session, "2080000080", consent_share_sni=False, email="r@e.pe")
    refused_assessment = _submitted(session, refusing.id, 55.0)
    _submitted(session, sharing.id, 45.0)
    assert sharing_firm(session, sharing.id) is not None
    assert sharing_firm(session, refusing.id) is None
    assert set(sharing_firms(session)["firm_id"]) == {sharing.id}
    assert set(shared_assessments(session)["firm_id"]) == {sharing.id}
    assert shared_assessment(session, refusing.id, refused_assessment) is None
    # Withdrawal takes effect on the next query.
    sharing.consent_share_sni = False
    session.commit()
    assert sharing_firm(session, sharing.id) is None
    assert sharing_firms(session).empty
