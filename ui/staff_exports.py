"""CSV and Excel files of the staff exports, safe to open in a spreadsheet (no streamlit).

Text cells that a spreadsheet could run as a formula (starting with = + - @, tab or carriage
return) get a leading apostrophe; numbers stay numbers. CSV files are UTF-8 with BOM and a
decimal point, for analysis tools; Excel files keep numeric cells numeric.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scoring.aggregates import (
    MIN_GROUP,
    Cut,
    Dashboard,
    Filters,
    _noisy_count,
    _noisy_mean,
    _noisy_quantiles,
    check_fixed,
    cut,
    protect_partition,
)
from scoring.cut_tables import Table, as_table
from storage.results_table import REQUIREMENT_PREFIX, REQUIREMENT_UNMET
from storage.staff import ASSESSMENT_COLUMNS
from ui.staff_labels import (
    BOUNDARIES,
    REQUIREMENT_STATES,
    SOURCES,
    Labels,
    sector_label,
    size_label,
)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
RESERVED_TEXT = "Menos de 5 empresas: dato reservado"


def safe_text(value: object) -> object:
    """``value`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells (and headers) are formula-safe."""
    clean = frame.copy()
    for column in clean.columns:
        if not pd.api.types.is_numeric_dtype(clean[column]):
            clean[column] = clean[column].map(safe_text)
    clean.columns = [safe_text(str(c)) for c in clean.columns]
    return clean


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM for Excel), scores rounded to 2 decimals, formula-safe."""
    return safe_frame(frame.round(2)).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    options = {"strings_to_formulas": False, "strings_to_urls": False}
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": options}) as out:
        for name, frame in sheets.items():
            safe_frame(frame).to_excel(out, sheet_name=name[:31], index=False)
            out.sheets[name[:31]].set_column(0, max(0, len(frame.columns) - 1), 18)
    return buffer.getvalue()


def _reserved(frame: pd.DataFrame) -> list[str]:
    return ["sí" if r else "no" for r in frame["reservado"]]


# --- method 2.0 aggregates (same suppression as scoring.aggregates.dashboard) ------------------

BAND_COLUMNS = ("global", "global_sin_no_se", "global_maximo")
PARTITION_COLUMNS = ["estado", "empresas", "porcentaje", "reservado"]


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in columns})


@dataclass
class MethodBoard:
    """Legal floor, indices, band and provisional results of one filtered cut (method 2.0).

    Cells of fewer than ``MIN_GROUP`` firms are NaN with ``reservado`` True; a partition's
    reserved cells hold ``MIN_GROUP`` firms or none; a reserved cut shows nothing.
    """

    piso: pd.DataFrame = field(default_factory=lambda: _empty(PARTITION_COLUMNS))
    requisitos: pd.DataFrame = field(
        default_factory=lambda: _empty(["requisito", "no_cumplen", "porcentaje", "empresas"])
    )
    provisional: pd.DataFrame = field(default_factory=lambda: _empty(PARTITION_COLUMNS))
    indices: pd.DataFrame = field(
        default_factory=lambda: _empty(["columna", "media", "q1", "mediana", "q3", "empresas"])
    )
    banda: pd.DataFrame = field(
        default_factory=lambda: _empty(["columna", "media", "mediana", "empresas"])
    )

    @property
    def has_floor(self) -> bool:
        return not self.piso.empty

    @property
    def has_indices(self) -> bool:
        return not self.indices.empty


def _partition(
    states: list[str], numbers: list[int], name: str, exact: bool = False
) -> pd.DataFrame:
    """Firms per state: reserved on the true counts (k ≥ 5 and complement), the published
    counts and shares differentially private (``scoring.privacy``), as in the dashboard."""
    number = np.asarray(numbers, dtype=int)
    reserved = protect_partition(number)
    noisy = np.array(
        [
            _noisy_count(int(n), f"{name}/{state}", exact)
            for n, state in zip(number, states, strict=True)
        ]
    )
    total = noisy.sum()
    table = pd.DataFrame(
        {
            "estado": states,
            "empresas": noisy.astype(float),
            "porcentaje": 100.0 * noisy / total if total else np.zeros(len(number)),
            "reservado": reserved,
        }
    )
    for column in ("empresas", "porcentaje"):  # column by column: ``.loc`` with a mask is slow
        kept = table[column].to_numpy(dtype=float, copy=True)
        kept[reserved] = np.nan
        table[column] = kept
    return table


def _distribution(
    latest: pd.DataFrame | Table,
    columns: list[str],
    quartiles: bool,
    name: str,
    exact: bool = False,
) -> pd.DataFrame:
    """Mean, median (and quartiles) of 0–100 scores per column, differentially private."""
    table = as_table(latest)
    rows = []
    for column in columns:
        values = table.column(column)
        reserved = values.count() < MIN_GROUP
        row = {"columna": column, "media": np.nan, "mediana": np.nan}
        if quartiles:
            row |= {"q1": np.nan, "q3": np.nan}
        firms = np.nan
        if not reserved:
            key = f"{name}/{column}"
            row["media"], firms = _noisy_mean(values, f"media/{key}", exact)
            alphas = (0.25, 0.5, 0.75) if quartiles else (0.5,)
            found = sorted(_noisy_quantiles(values, alphas, f"cuantil/{key}", exact))
            if quartiles:
                row["q1"], row["mediana"], row["q3"] = found
            else:
                row["mediana"] = found[0]
        rows.append(row | {"empresas": firms, "reservado": reserved})
    return pd.DataFrame(rows)


def method_board(
    frame: pd.DataFrame | None,
    filters: Filters,
    exact: bool = False,
    prepared: Cut | None = None,
) -> MethodBoard:
    """The method 2.0 aggregates of ``frame`` (one questionnaire version) under ``filters``:
    fixed partitions only (``check_fixed``), the same differentially private figures as the
    dashboard (``exact`` only in tests; ``prepared``: the cut of these filters, from
    ``aggregates.cut`` or ``PanelCube.cut``; then ``frame`` is not read)."""
    check_fixed(filters)
    board = MethodBoard()
    names = prepared.names if prepared is not None else list(frame.columns)
    if (prepared is None and frame.empty) or "provisional" not in names:
        return board  # format 1 rows only: nothing to show
    part = prepared if prepared is not None else cut(frame, filters, exact)
    if part.counts.reservado:  # under 5 firms, or 1–4 firms from a broader cut
        return board
    latest = part.latest
    floor = latest.column("piso_legal").count()
    if floor:
        met = latest.count_in("piso_legal", (1.0,))
        board.piso = _partition(["Cumple", "No cumple"], [met, floor - met], "piso", exact)
        rows = []
        for column in [c for c in names if c.startswith(REQUIREMENT_PREFIX)]:
            known = latest.column(column).count()
            failing = latest.count_in(column, REQUIREMENT_UNMET)
            requirement = column.removeprefix(REQUIREMENT_PREFIX)
            part = _partition(
                ["no", "si"], [failing, known - failing], f"requisito/{requirement}", exact
            )
            rows.append(
                {
                    "requisito": requirement,
                    "no_cumplen": part.loc[0, "empresas"],
                    "porcentaje": part.loc[0, "porcentaje"],
                    "empresas": np.nan if part["reservado"].any() else part["empresas"].sum(),
                    "reservado": bool(part.loc[0, "reservado"]),
                }
            )
        if rows:
            board.requisitos = pd.DataFrame(rows).sort_values(
                ["reservado", "no_cumplen", "requisito"],
                ascending=[True, False, True],
                kind="stable",
                ignore_index=True,
            )
    provisional = latest.column("provisional").count()
    if provisional:
        marked = latest.count_in("provisional", (1.0,))
        board.provisional = _partition(
            ["Provisional", "Definitivo"],
            [marked, provisional - marked],
            "provisional",
            exact,
        )
    indices = [c for c in names if c.startswith("idx_")]
    if indices:
        board.indices = _distribution(latest, indices, True, "indices", exact)
    band = [c for c in BAND_COLUMNS if c in names and latest.column(c).count()]
    if len(band) == len(BAND_COLUMNS):
        board.banda = _distribution(latest, band, False, "banda", exact)
    return board


def aggregate_sheets(
    board: Dashboard, labels: Labels, description: str, method: MethodBoard | None = None
) -> dict[str, pd.DataFrame]:
    """The panel's tables with Spanish headers; reserved cells stay empty and flagged."""
    counts = board.counts
    reserved_counts = counts.reservado
    sheets = {
        "Filtros": pd.DataFrame(
            {
                "Campo": ["Filtros", "Empresas", "Evaluaciones", "Empresas reevaluadas", "Nota"],
                "Valor": [
                    description,
                    "menos de 5" if reserved_counts else str(counts.empresas),
                    "" if reserved_counts else str(counts.evaluaciones),
                    "" if reserved_counts else str(counts.reevaluadas),
                    RESERVED_TEXT + " (celdas vacías con «Reservado» = sí).",
                ],
            }
        ),
        "Niveles": pd.DataFrame(
            {
                "Nivel": board.levels["nivel"],
                "Nombre": [labels.levels.get(int(n), "") for n in board.levels["nivel"]],
                "Empresas": board.levels["empresas"],
                "Porcentaje": board.levels["porcentaje"],
                "Reservado": _reserved(board.levels),
            }
        ),
        "Puntajes": pd.DataFrame(
            {
                "Medida": [labels.column(c) for c in board.scores["columna"]],
                "Media (0-100)": board.scores["media"],
                "Mediana (0-100)": board.scores["mediana"],
                "Empresas": board.scores["empresas"],
                "Reservado": _reserved(board.scores),
            }
        ),
        "Sectores": pd.DataFrame(
            {
                "Sector CIIU": [sector_label(d) for d in board.heatmap["ciiu_division"]],
                "Medida": [labels.column(c) for c in board.heatmap["columna"]],
                "Media (0-100)": board.heatmap["media"],
                "Empresas": board.heatmap["empresas"],
                "Reservado": _reserved(board.heatmap),
            }
        ),
    }
    if not board.trend.empty:
        sheets["Trimestres"] = pd.DataFrame(
            {
                "Trimestre": board.trend["etiqueta"],
                "Media global (0-100)": board.trend["media"],
                "Mediana global (0-100)": board.trend["mediana"],
                "Empresas": board.trend["empresas"],
                "Reservado": _reserved(board.trend),
            }
        )
    sheets["Prácticas débiles"] = pd.DataFrame(
        {
            "Pregunta": [labels.questions.get(q, (q, ""))[0] for q in board.weakest["pregunta"]],
            "Ruta": [labels.questions.get(q, ("", ""))[1] for q in board.weakest["pregunta"]],
            "Nivel medio (0-4)": board.weakest["nivel_medio"],
            "Empresas": board.weakest["empresas"],
        }
    )
    names = [labels.indicators.get(i, (i, "")) for i in board.indicators["indicador"]]
    sheets["Indicadores"] = pd.DataFrame(
        {
            "Indicador": [name for name, _ in names],
            "Unidad": [unit for _, unit in names],
            "Primer cuartil": board.indicators["q1"],
            "Mediana": board.indicators["mediana"],
            "Tercer cuartil": board.indicators["q3"],
            "Empresas": board.indicators["empresas"],
            "Reservado": _reserved(board.indicators),
        }
    )
    sheets["Reevaluaciones"] = pd.DataFrame(
        {
            "Medida": [labels.column(c) for c in board.progress["columna"]],
            "Media primera evaluación": board.progress["primera"],
            "Media última evaluación": board.progress["ultima"],
            "Cambio medio": board.progress["cambio"],
            "Porcentaje que mejoró": board.progress["mejoraron"],
            "Empresas": board.progress["empresas"],
            "Reservado": _reserved(board.progress),
        }
    )
    if method is not None:
        sheets |= method_sheets(method, labels)
    return sheets


def aggregates_csv(sheets: dict[str, pd.DataFrame]) -> bytes:
    """All aggregate tables in one long CSV: table, row label, measure, value."""
    rows = []
    for name, frame in sheets.items():
        label_column = frame.columns[0]
        for _, row in frame.iterrows():
            for column in frame.columns[1:]:
                rows.append(
                    {
                        "tabla": name,
                        "fila": row[label_column],
                        "medida": column,
                        "valor": row[column],
                    }
                )
    return csv_bytes(pd.DataFrame(rows, columns=["tabla", "fila", "medida", "valor"]))


FIRM_HEADERS = {
    "ruc": "RUC",
    "razon_social": "Razón social",
    "sector": "Sector CIIU",
    "tamano": "Tamaño",
    "region": "Región",
    "questionnaire_version": "Versión del cuestionario",
    "fecha": "Fecha de envío",
    "overall": "Puntaje global",
    "level": "Nivel",
    "performance": "Desempeño (indicadores)",
    "coverage": "Cobertura (%)",
    "dont_know_count": "Respuestas «No sé»",
    "is_demo": "Demostración",
}


def _yes(value: object) -> str:
    return "sí" if value else "no"


def _method_cells(detail: dict) -> dict[str, object]:
    """Method 2.0 columns of one firm's result, from its stored ``ScoreResult.to_dict()``.

    Results stored before method 2.0 (or bulk loads without detail) leave them empty."""
    if not detail.get("global"):
        return {}
    overall = detail["global"]
    floor = detail.get("piso_legal")
    capped = floor is not None and not floor.get("cumple")
    capped = capped and floor.get("nivel_sin_tope", 0) > floor.get("tope", 0)
    cells: dict[str, object] = {
        "Método": detail.get("metodo", "1.0"),
        "Nombre del nivel": overall.get("nivel_nombre") or "",
        "Puntaje sin contar «No sé»": overall.get("puntaje_sin_no_se"),
        "Puntaje con «No sé» como nivel máximo": overall.get("puntaje_maximo"),
        "Provisional": _yes(detail.get("provisional")),
        "Cumple el piso legal": "" if floor is None else _yes(floor.get("cumple")),
        "Nivel limitado por el piso legal": ""
        if floor is None
        else _yes(
            not floor.get("cumple") and floor.get("nivel_sin_tope", 0) > floor.get("tope", 0)
        ),
        "Nivel sin el tope": None if floor is None else floor.get("nivel_sin_tope"),
    }
    for score in detail.get("dimensiones") or []:
        cells[f"Dimensión: {score['nombre']}"] = score.get("puntaje")
    for score in detail.get("rutas") or []:
        cells[f"Ruta {score['id']}"] = score.get("puntaje")
    for score in detail.get("indices") or []:
        name = f"Índice {score['nombre']}" + (" (principal)" if score.get("principal") else "")
        cells[name] = score.get("puntaje")
        cells[f"{name} · sin «No sé»"] = score.get("puntaje_sin_no_se")
        cells[f"{name} · «No sé» como máximo"] = score.get("puntaje_maximo")
    for requirement in (floor or {}).get("requisitos") or []:
        label = f"Piso legal: {requirement['texto']} ({requirement['norma']})"
        cells[label] = REQUIREMENT_STATES.get(requirement["estado"], requirement["estado"])
    for indicator in detail.get("indicadores") or []:
        name = (
            f"{indicator['nombre']} ({indicator['unidad']})"
            if indicator.get("unidad")
            else (indicator["nombre"])
        )
        cells[name] = indicator.get("valor") if indicator.get("valido") else None
        cells[f"{name} · frontera"] = BOUNDARIES.get(indicator.get("frontera", "sitio"), "")
        cells[f"{name} · fuente"] = SOURCES.get(indicator.get("fuente") or "", "—")
    return cells


def firms_table(assessments: pd.DataFrame) -> pd.DataFrame:
    """Consenting firms' submitted assessments with Spanish headers (one row each).

    With a ``detail`` column (``storage.staff.shared_assessments(with_detail=True)``) each row
    also carries method 2.0: level name, band, provisional mark, legal floor and its items,
    index scores with their band, and every indicator with its boundary and data source."""
    data = assessments.reindex(columns=list(ASSESSMENT_COLUMNS)).copy()
    data["sector"] = [sector_label(d) for d in data["ciiu_division"]]
    data["tamano"] = [size_label(s) for s in data["size_class"]]
    data["fecha"] = data["submitted_at"].dt.tz_convert("America/Lima").dt.strftime("%Y-%m-%d")
    data["is_demo"] = ["sí" if d else "no" for d in data["is_demo"]]
    table = data[list(FIRM_HEADERS)].rename(columns=FIRM_HEADERS)
    details = assessments["detail"] if "detail" in assessments else [{}] * len(assessments)
    method = pd.DataFrame([_method_cells(d or {}) for d in details], index=table.index)
    if not len(method.columns):
        return table
    last = table.pop(FIRM_HEADERS["is_demo"])
    return pd.concat([table, method], axis=1).assign(**{FIRM_HEADERS["is_demo"]: last})


def method_sheets(method: MethodBoard, labels: Labels) -> dict[str, pd.DataFrame]:
    """The method 2.0 tables: legal floor, failing items, provisional, band and indices."""
    sheets: dict[str, pd.DataFrame] = {}
    if method.has_floor:
        sheets["Piso legal"] = pd.DataFrame(
            {
                "Estado": method.piso["estado"],
                "Empresas": method.piso["empresas"],
                "Porcentaje": method.piso["porcentaje"],
                "Reservado": _reserved(method.piso),
            }
        )
        items = method.requisitos
        sheets["Requisitos incumplidos"] = pd.DataFrame(
            {
                "Requisito": [labels.requirements.get(r, (r, ""))[0] for r in items["requisito"]],
                "Norma": [labels.requirements.get(r, ("", ""))[1] for r in items["requisito"]],
                "Empresas que no cumplen": items["no_cumplen"],
                "Porcentaje que no cumple": items["porcentaje"],
                "Empresas con respuesta": items["empresas"],
                "Reservado": _reserved(items) if len(items) else [],
            }
        )
    if not method.provisional.empty:
        sheets["Provisionales"] = pd.DataFrame(
            {
                "Resultado": method.provisional["estado"],
                "Empresas": method.provisional["empresas"],
                "Porcentaje": method.provisional["porcentaje"],
                "Reservado": _reserved(method.provisional),
            }
        )
    if not method.banda.empty:
        sheets["Banda «No sé»"] = pd.DataFrame(
            {
                "Medida": [labels.column(c) for c in method.banda["columna"]],
                "Media (0-100)": method.banda["media"],
                "Mediana (0-100)": method.banda["mediana"],
                "Empresas": method.banda["empresas"],
                "Reservado": _reserved(method.banda),
            }
        )
    if method.has_indices:
        sheets["Índices"] = pd.DataFrame(
            {
                "Índice": [labels.column(c) for c in method.indices["columna"]],
                "Media (0-100)": method.indices["media"],
                "Primer cuartil": method.indices["q1"],
                "Mediana (0-100)": method.indices["mediana"],
                "Tercer cuartil": method.indices["q3"],
                "Empresas": method.indices["empresas"],
                "Reservado": _reserved(method.indices),
            }
        )
    return sheets
