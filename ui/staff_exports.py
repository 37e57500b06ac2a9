"""CSV and Excel files of the staff exports, safe to open in a spreadsheet (no streamlit).

Text cells that a spreadsheet could run as a formula (starting with = + - @, tab or carriage
return) get a leading apostrophe; numbers stay numbers. CSV files are UTF-8 with BOM and a
decimal point, for analysis tools; Excel files keep numeric cells numeric.
"""

from __future__ import annotations

import io

import pandas as pd

from scoring.aggregates import Dashboard
from storage.staff import ASSESSMENT_COLUMNS
from ui.staff_labels import Labels, sector_label, size_label

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


def aggregate_sheets(board: Dashboard, labels: Labels, description: str) -> dict[str, pd.DataFrame]:
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
    "economica": "Económica",
    "social": "Social",
    "ambiental": "Ambiental",
    "r1": "Ruta R1",
    "r2": "Ruta R2",
    "r3": "Ruta R3",
    "performance": "Desempeño (indicadores)",
    "coverage": "Cobertura (%)",
    "dont_know_count": "Respuestas «No sé»",
    "is_demo": "Demostración",
}


def firms_table(assessments: pd.DataFrame) -> pd.DataFrame:
    """Consenting firms' submitted assessments with Spanish headers (one row each)."""
    data = assessments.reindex(columns=list(ASSESSMENT_COLUMNS)).copy()
    data["sector"] = [sector_label(d) for d in data["ciiu_division"]]
    data["tamano"] = [size_label(s) for s in data["size_class"]]
    data["fecha"] = data["submitted_at"].dt.tz_convert("America/Lima").dt.strftime("%Y-%m-%d")
    data["is_demo"] = ["sí" if d else "no" for d in data["is_demo"]]
    return data[list(FIRM_HEADERS)].rename(columns=FIRM_HEADERS)
