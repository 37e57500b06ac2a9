"""Peru facts for the firm profile: RUC check, CIIU divisions, regions, UIT and size class.

Pure domain code: the yearly figures live in ``scoring/data/peru.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

DATA_FILE = Path(__file__).with_name("data") / "peru.yaml"

RUC_WEIGHTS: tuple[int, ...] = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe loader that refuses duplicate keys instead of silently keeping the last one."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if key in mapping:
            raise ValueError(
                f"{DATA_FILE.name}, línea {key_node.start_mark.line + 1}: la clave {key!r} "
                "está repetida. Deje una sola."
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load() -> dict[str, Any]:
    with DATA_FILE.open(encoding="utf-8") as stream:
        return yaml.load(stream, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass


_DATA = _load()

UIT_BY_YEAR: dict[int, int] = {int(year): int(v) for year, v in sorted(_DATA["uit"].items())}
SIZE_LIMITS_UIT: dict[str, int] = {k: int(v) for k, v in _DATA["size_limits_uit"].items()}
SIZE_NAMES: dict[str, str] = dict(_DATA["size_names"])
SIZE_CLASSES: tuple[str, ...] = tuple(SIZE_NAMES)
CIIU_DIVISIONS: dict[int, str] = {int(k): v for k, v in _DATA["ciiu_divisions"].items()}
REGIONS: tuple[str, ...] = tuple(_DATA["regions"])


# --- RUC ---------------------------------------------------------------------------------------


def ruc_check_digit(first_ten: str) -> int:
    """Modulo-11 check digit (SUNAT) of the first ten digits of a RUC."""
    total = sum(int(d) * w for d, w in zip(first_ten, RUC_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: 0, 11: 1}.get(check, check)


def ruc_error(ruc: str) -> str | None:
    """Spanish message explaining why ``ruc`` is not a valid RUC, or None when it is."""
    text = (ruc or "").strip()
    if not text:
        return "Escriba el RUC de la empresa (11 dígitos)."
    if not text.isascii() or not text.isdigit():
        return "El RUC solo puede contener números, sin espacios, puntos ni guiones."
    if len(text) != 11:
        return f"El RUC debe tener 11 dígitos (tiene {len(text)})."
    if ruc_check_digit(text[:10]) != int(text[10]):
        return (
            "El RUC no es válido: el dígito verificador no coincide. "
            "Revise que lo haya escrito bien."
        )
    return None


def normalize_ruc(ruc: str) -> str:
    """The RUC without surrounding spaces; raises ValueError with a Spanish message if invalid."""
    error = ruc_error(ruc)
    if error:
        raise ValueError(error)
    return ruc.strip()


def ruc_is_legal_person(ruc: str) -> bool:
    """True for RUCs of legal persons (starting with 20); others deserve a warning, not a block."""
    return (ruc or "").strip().startswith("20")


# --- UIT and size class (Ley 30056) -------------------------------------------------------------


@dataclass(frozen=True)
class Uit:
    """The UIT that applies to ``year``; ``extrapolated`` when a later year reuses the latest."""

    year: int
    soles: int
    source_year: int

    @property
    def extrapolated(self) -> bool:
        return self.source_year != self.year


def uit_for_year(year: int) -> Uit:
    """UIT for ``year``; a year after the last known one uses the latest value (flagged)."""
    first, last = min(UIT_BY_YEAR), max(UIT_BY_YEAR)
    if year in UIT_BY_YEAR:
        return Uit(year, UIT_BY_YEAR[year], year)
    if year > last:
        return Uit(year, UIT_BY_YEAR[last], last)
    raise ValueError(
        f"No hay UIT registrada para el año {year}. Use un año entre {first} y {last}."
    )


def size_class(annual_sales_soles: float | Decimal, year: int) -> str:
    """Size class id ("micro", "pequena", "mediana", "grande") by annual sales, Ley 30056."""
    sales = Decimal(str(annual_sales_soles))
    if not sales.is_finite() or sales < 0:
        raise ValueError("Las ventas anuales deben ser un monto igual o mayor que cero.")
    uit = Decimal(uit_for_year(year).soles)
    for size, limit in SIZE_LIMITS_UIT.items():
        if sales <= limit * uit:
            return size
    return "grande"
