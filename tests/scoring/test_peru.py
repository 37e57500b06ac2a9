"""Peru facts: RUC check digit, CIIU divisions, regions, UIT and Ley 30056 size classes."""

from __future__ import annotations

import pytest

from scoring.peru import (
    CIIU_DIVISIONS,
    REGIONS,
    SIZE_CLASSES,
    SIZE_NAMES,
    normalize_ruc,
    ruc_check_digit,
    ruc_error,
    ruc_is_legal_person,
    size_class,
    uit_for_year,
)


def test_check_digit_by_hand() -> None:
    # 2 0 1 0 0 0 7 0 9 7 · 5 4 3 2 7 6 5 4 3 2 = 10+0+3+0+0+0+35+0+27+14 = 89
    # 89 mod 11 = 1 → 11 − 1 = 10 → 0
    assert ruc_check_digit("2010007097") == 0
    # 2 0 6 0 0 0 0 0 0 0 → 10 + 0 + 18 = 28; 28 mod 11 = 6 → 5
    assert ruc_check_digit("2060000000") == 5
    # 1 0 0 0 0 0 0 0 0 0 → 5; 5 mod 11 = 5 → 6
    assert ruc_check_digit("1000000000") == 6
    # 2 0 0 0 0 0 0 0 0 6 → 10 + 12 = 22; 22 mod 11 = 0 → 11 → 1
    assert ruc_check_digit("2000000006") == 1


@pytest.mark.parametrize("ruc", ["20100070970", " 20100070970 ", "20600000005", "10000000006"])
def test_valid_rucs(ruc: str) -> None:
    assert ruc_error(ruc) is None
    assert normalize_ruc(ruc) == ruc.strip()


@pytest.mark.parametrize(
    ("ruc", "message"),
    [
        ("201000709", "El RUC debe tener 11 dígitos (tiene 9)."),
        ("201000709701", "El RUC debe tener 11 dígitos (tiene 12)."),
        (
            "20100070971",
            "El RUC no es válido: el dígito verificador no coincide. "
            "Revise que lo haya escrito bien.",
        ),
        ("2010007097A", "El RUC solo puede contener números, sin espacios, puntos ni guiones."),
        ("20-10007097", "El RUC solo puede contener números, sin espacios, puntos ni guiones."),
        ("", "Escriba el RUC de la empresa (11 dígitos)."),
        (
            "２０１００７０９７０",
            "El RUC solo puede contener números, sin espacios, puntos ni guiones.",
        ),
    ],
)
def test_invalid_rucs(ruc: str, message: str) -> None:
    assert ruc_error(ruc) == message
    with pytest.raises(ValueError, match="RUC"):
        normalize_ruc(ruc)


def test_every_wrong_check_digit_is_caught() -> None:
    for digit in "123456789":
        assert ruc_error("2010007097" + digit) is not None


def test_legal_person() -> None:
    assert ruc_is_legal_person(" 20100070970")
    assert not ruc_is_legal_person("10000000006")


def test_ciiu_divisions_cover_section_c() -> None:
    assert list(CIIU_DIVISIONS) == list(range(10, 34))
    assert CIIU_DIVISIONS[10] == "Elaboración de productos alimenticios"
    assert CIIU_DIVISIONS[33] == "Reparación e instalación de maquinaria y equipo"


def test_regions() -> None:
    assert len(REGIONS) == 26  # 24 departamentos, Lima split in two, plus Callao
    assert {"Lima Metropolitana", "Lima Provincias", "Callao", "Áncash"} <= set(REGIONS)
    assert "Lima" not in REGIONS
    assert len(set(REGIONS)) == len(REGIONS)


def test_uit_by_year() -> None:
    assert uit_for_year(2024).soles == 5150
    assert uit_for_year(2025).soles == 5350
    now = uit_for_year(2026)
    assert (now.soles, now.extrapolated) == (5500, False)
    future = uit_for_year(2030)
    assert (future.soles, future.source_year, future.extrapolated) == (5500, 2026, True)
    with pytest.raises(ValueError, match="No hay UIT registrada para el año 1999"):
        uit_for_year(1999)


@pytest.mark.parametrize(("year", "uit"), [(2025, 5350), (2026, 5500)])
@pytest.mark.parametrize(
    ("limit_uit", "at", "above"),
    [(150, "micro", "pequena"), (1700, "pequena", "mediana"), (2300, "mediana", "grande")],
)
def test_size_class_boundaries(year: int, uit: int, limit_uit: int, at: str, above: str) -> None:
    limit = limit_uit * uit
    assert size_class(limit, year) == at
    assert size_class(limit + 0.01, year) == above
    assert size_class(limit - 0.01, year) == at


def test_size_class_extremes_and_names() -> None:
    assert size_class(0, 2025) == "micro"
    assert size_class(10**12, 2025) == "grande"
    assert SIZE_CLASSES == ("micro", "pequena", "mediana", "grande")
    assert SIZE_NAMES["pequena"] == "Pequeña empresa"
    assert SIZE_NAMES["grande"] == "Gran empresa"
    with pytest.raises(ValueError, match="ventas"):
        size_class(-1, 2025)
    with pytest.raises(ValueError, match="ventas"):
        size_class(float("nan"), 2025)
