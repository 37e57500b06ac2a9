"""Peer groups: fallback order, never fewer than five firms, labels that say when broader."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scoring.peers import MIN_GROUP, NOT_ENOUGH, peer_group, peer_stats  # noqa: E402

SIZES = ("micro", "pequena", "mediana", "grande")


def peers(rows: list[tuple[int, str]], overall: list[float] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["ciiu_division", "size_class"])
    frame["overall"] = overall if overall is not None else [50.0] * len(rows)
    return frame


def test_same_division_and_size_first():
    frame = peers([(10, "pequena")] * 23 + [(10, "grande")] * 4 + [(22, "pequena")] * 9)
    group = peer_group(frame, 10, "pequena")
    assert group is not None
    assert group.level == "division_tamano" and not group.broader
    assert group.size == 23
    assert group.label == (
        "Misma división CIIU (10 · Elaboración de productos alimenticios) y tamaño "
        "(Pequeña empresa) — 23 empresas"
    )


def test_falls_back_to_division_then_size_then_all():
    frame = peers([(10, "pequena")] * 4 + [(10, "grande")] * 3 + [(22, "pequena")] * 2)
    group = peer_group(frame, 10, "pequena")
    assert group.level == "division" and group.broader and group.size == 7
    assert group.label.startswith("Grupo más amplio: todas las empresas de la división CIIU 10")
    assert group.label.endswith("— 7 empresas")

    frame = peers([(10, "pequena")] * 2 + [(22, "pequena")] * 4 + [(31, "grande")] * 3)
    group = peer_group(frame, 10, "pequena")
    assert group.level == "tamano" and group.size == 6
    assert "Pequeña empresa" in group.label and group.label.startswith("Grupo más amplio")

    frame = peers([(10, "pequena")] * 2 + [(22, "grande")] * 2 + [(31, "mediana")] * 2)
    group = peer_group(frame, 10, "pequena")
    assert group.level == "todas" and group.size == 6
    assert group.label.startswith("Grupo más amplio") and "6 empresas" in group.label


def test_none_when_even_all_firms_are_too_few():
    assert peer_group(peers([(10, "pequena")] * 4), 10, "pequena") is None
    assert peer_group(peers([]), 10, "pequena") is None
    assert "suficientes empresas" in NOT_ENOUGH


def test_min_size_cannot_be_lowered():
    with pytest.raises(ValueError):
        peer_group(peers([(10, "pequena")] * 10), 10, "pequena", min_size=3)
    with pytest.raises(ValueError):
        peer_stats(peers([(10, "pequena")] * 10), ["overall"], min_size=2, exact=True)


def test_unknown_profile_skips_to_broader_groups():
    frame = peers([(10, "pequena")] * 6)
    group = peer_group(frame, None, "pequena")
    assert group.level == "tamano" and group.broader


def test_stats_median_quartiles_and_suppression():
    frame = peers([(10, "pequena")] * 8, overall=[10, 20, 30, 40, 50, 60, 70, 80])
    frame["social"] = [1.0, 2.0, 3.0, 4.0, math.nan, math.nan, math.nan, math.nan]
    stats = peer_stats(frame, ["overall", "social", "missing"], exact=True)
    assert stats["overall"].median == pytest.approx(45.0)
    assert stats["overall"].q1 == pytest.approx(27.5)
    assert stats["overall"].q3 == pytest.approx(62.5)
    assert stats["overall"].n == 8
    assert stats["social"] is None  # only 4 firms have a social score
    assert stats["missing"] is None


profiles = st.lists(
    st.tuples(st.sampled_from([10, 11, 22, 31]), st.sampled_from(SIZES)), max_size=40
)


@settings(max_examples=200, deadline=None)
@given(profiles, st.sampled_from([10, 11, 22, 31]), st.sampled_from(SIZES))
def test_no_group_under_five_and_narrowest_first(rows, division, size):
    frame = peers(rows)
    group = peer_group(frame, division, size)
    same_both = sum(1 for d, s in rows if d == division and s == size)
    same_div = sum(1 for d, _ in rows if d == division)
    same_size = sum(1 for _, s in rows if s == size)
    if group is None:
        assert max(same_both, same_div, same_size, len(rows)) < MIN_GROUP
        return
    assert group.size >= MIN_GROUP
    expected = next(
        level
        for level, count in (
            ("division_tamano", same_both),
            ("division", same_div),
            ("tamano", same_size),
            ("todas", len(rows)),
        )
        if count >= MIN_GROUP
    )
    assert group.level == expected
    assert group.broader == (expected != "division_tamano")
    assert group.label.startswith("Grupo más amplio") == group.broader
    assert group.label.endswith(f"— {group.size} empresas")
    if group.level in ("division_tamano", "division"):
        assert (group.frame["ciiu_division"] == division).all()
    if group.level in ("division_tamano", "tamano"):
        assert (group.frame["size_class"] == size).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(0, 100)), max_size=20))
def test_stats_never_over_fewer_than_five_values(values):
    frame = pd.DataFrame({"overall": [math.nan if v is None else v for v in values]})
    stat = peer_stats(frame, ["overall"], exact=True)["overall"]
    present = [v for v in values if v is not None]
    if len(present) < MIN_GROUP:
        assert stat is None
    else:
        assert stat.n == len(present)
        assert min(present) <= stat.q1 <= stat.median <= stat.q3 <= max(present)
