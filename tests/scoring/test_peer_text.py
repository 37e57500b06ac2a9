"""The peer-comparison sentences shared by the results page and the reports."""

from __future__ import annotations

from scoring import peer_text

NBSP = "\u00a0"


def test_summary_groups_above_below_and_at_the_median() -> None:
    text = peer_text.peer_summary(
        [
            ("la económica", 1250.0, {"median": 1000.0}),
            ("la social", 40.0, {"median": 55.5}),
            ("la ambiental", 50.02, {"median": 50.0}),
            ("R1", None, {"median": 50.0}),
            ("R2", 70.0, None),
        ]
    )
    assert text == (
        "Frente a su grupo de comparación, su empresa está por encima de la mediana en la "
        f"económica (1{NBSP}250,0 frente a 1{NBSP}000,0); por debajo de la mediana en la social "
        "(40,0 frente a 55,5); en la mediana en la ambiental (50,0 frente a 50,0)."
    )
    assert peer_text.peer_summary([("R1", 50.0, None), ("R2", 50.0, {"median": None})]) == ""


def test_one_score_and_joining_words() -> None:
    assert peer_text.peer_reading(62.5, {"median": 60.0}, "el puntaje global") == (
        "Su empresa está por encima de la mediana de su grupo de comparación en el puntaje "
        "global (62,5 frente a 60,0)."
    )
    assert peer_text.peer_reading(None, {"median": 60.0}, "x") == ""
    assert peer_text.join_es(["agua", "insumos"]) == "agua e insumos"
    assert peer_text.join_es(["a", "b", "hielo"]) == "a, b y hielo"
    assert peer_text.join_es(["a", "hierro"]) == "a y hierro"
    assert peer_text.join_es(["a", "hilo"]) == "a e hilo"


def test_balance_without_peers() -> None:
    items = [("económica", 70.0), ("social", 40.0), ("ambiental", None)]
    assert peer_text.balance_reading(items, "dimensión") == (
        "Su dimensión más fuerte es la económica (70,0) y la más débil, la social (40,0)."
    )
    assert peer_text.balance_reading([("R1", 50.0), ("R2", 50.0)], "ruta") == (
        "Todas sus rutas tienen el mismo puntaje (50,0)."
    )
    assert peer_text.balance_reading([("R1", None)], "ruta").startswith("Aún no hay puntajes")
