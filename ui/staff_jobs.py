"""The staff exports that run as background jobs (``ui.background``), without streamlit.

- Firms' results (CSV or Excel): read in keyset pages of ``CHUNK`` assessments, filtered and
  laid out as ``ui.staff_exports.firms_table`` page by page into temporary files, then written
  out with the union of their columns; memory stays that of one page.
- Reports (ZIP of PDFs): each filtered sharing firm's latest assessment, built in a process
  pool (``ui.bulk_pdf``), at most ``MAX_PDFS`` per file.

Only firms that share their results with SNI are read (``storage.staff``), and the PDF workers
read the consent again when they build each report.
"""

from __future__ import annotations

import multiprocessing
import os
import zipfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from scoring.aggregates import Filters, apply_filters, check_fixed, latest_per_firm
from storage.staff import shared_assessments, shared_count, shared_list
from ui import bulk_pdf
from ui.background import Job, JobRefused
from ui.staff_exports import firms_table, safe_frame

CHUNK = 5000
MAX_PDFS = 2000
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"


def firms_file(
    job: Job,
    folder: Path,
    *,
    engine: Engine,
    questionnaire_id: str,
    depth: str,
    questionnaire_hash: str,
    filters: Filters,
    ext: str,
    stem: str,
) -> None:
    """The firms' results with ``filters`` as one CSV or Excel file in ``folder``."""
    check_fixed(filters)
    with Session(engine) as session:
        total = shared_count(session, questionnaire_id, depth, questionnaire_hash)
    job.progress(0, total + max(total // 10, 1), "Leyendo las evaluaciones")
    parts: list[Path] = []
    columns: dict[str, None] = {}
    firms: set[int] = set()
    rows = read = 0
    after = 0
    while True:
        with Session(engine) as session:
            page = shared_assessments(
                session,
                questionnaire_id=questionnaire_id,
                depth=depth,
                questionnaire_hash=questionnaire_hash,
                with_detail=True,
                after_id=after,
                limit=CHUNK,
            )
        if page.empty:
            break
        after = int(page["assessment_id"].max())
        read += len(page)
        page = apply_filters(page, filters)
        if len(page):
            table = firms_table(page)
            columns.update(dict.fromkeys(table.columns))
            firms.update(int(f) for f in page["firm_id"])
            rows += len(table)
            part = folder / f"parte_{len(parts):05d}.pkl"
            table.to_pickle(part)
            parts.append(part)
        job.progress(min(read, total))
    job.progress(total, stage="Escribiendo el archivo")
    path = folder / f"{stem}.{ext}"
    if ext == "csv":
        _write_csv(path, parts, list(columns))
    else:
        _write_xlsx(path, parts, list(columns))
    for part in parts:
        part.unlink()
    job.detail = {"filas": rows, "empresas": len(firms)}
    job.firm_ids = np.array(sorted(firms), dtype=np.int64)
    job.path, job.file_name, job.mime = path, path.name, CSV if ext == "csv" else XLSX
    job.progress(job.total, stage="Listo")


def _write_csv(path: Path, parts: list[Path], columns: list[str]) -> None:
    """As ``ui.staff_exports.csv_bytes``: UTF-8 with BOM, 2 decimals, formula-safe."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        if not parts:
            safe_frame(pd.DataFrame(columns=columns)).to_csv(out, index=False)
        for number, part in enumerate(parts):
            table = pd.read_pickle(part).reindex(columns=columns)
            safe_frame(table.round(2)).to_csv(out, index=False, header=number == 0)


def _write_xlsx(path: Path, parts: list[Path], columns: list[str]) -> None:
    """One sheet «Empresas», row by row (constant memory), numbers stay numbers."""
    options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    workbook = xlsxwriter.Workbook(str(path), options)
    sheet = workbook.add_worksheet("Empresas")
    sheet.set_column(0, max(0, len(columns) - 1), 18)
    sheet.write_row(0, 0, safe_frame(pd.DataFrame(columns=columns)).columns.tolist())
    row = 1
    for part in parts:
        table = safe_frame(pd.read_pickle(part).reindex(columns=columns))
        for values in table.itertuples(index=False):
            sheet.write_row(row, 0, [_cell(v) for v in values])
            row += 1
    workbook.close()


def _cell(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def report_rows(
    engine: Engine,
    questionnaire_id: str,
    depth: str,
    questionnaire_hash: str,
    filters: Filters,
) -> pd.DataFrame:
    """Each filtered sharing firm's latest assessment of this version (no scores, no detail)."""
    check_fixed(filters)
    with Session(engine) as session:
        listing = shared_list(session, questionnaire_id, depth, questionnaire_hash)
    return latest_per_firm(apply_filters(listing, filters)).reset_index(drop=True)


def reports_zip(
    job: Job,
    folder: Path,
    *,
    engine: Engine,
    url: str,
    questionnaire_id: str,
    depth: str,
    questionnaire_hash: str,
    filters: Filters,
    stem: str,
    processes: int | None = None,
) -> None:
    """A ZIP with the PDF report of each filtered sharing firm's latest assessment."""
    job.progress(0, 1, "Buscando las empresas")
    chosen = report_rows(engine, questionnaire_id, depth, questionnaire_hash, filters)
    if len(chosen) > MAX_PDFS:
        raise JobRefused(
            f"Con estos filtros hay {len(chosen)} empresas que comparten sus resultados; un "
            f"archivo admite hasta {MAX_PDFS} informes. Elija un sector, un tamaño, una región "
            "o un periodo."
        )
    if chosen.empty:
        raise JobRefused("Con estos filtros no hay empresas que compartan sus resultados con SNI.")
    total = len(chosen)
    job.progress(0, total, "Generando los informes")
    processes = processes or max(1, min(os.cpu_count() or 1, total))
    path = folder / f"{stem}.zip"
    skipped: list[str] = []
    built = 0
    pairs = list(zip(chosen["firm_id"], chosen["assessment_id"], chosen["ruc"], strict=True))
    context = multiprocessing.get_context("spawn")
    with (
        ProcessPoolExecutor(
            processes, mp_context=context, initializer=bulk_pdf.init_worker, initargs=(url,)
        ) as pool,
        zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive,
    ):
        futures = {
            pool.submit(bulk_pdf.build_one, int(firm), int(assessment)): (int(firm), ruc)
            for firm, assessment, ruc in pairs
        }
        included: list[int] = []
        for done, future in enumerate(as_completed(futures), start=1):
            name, data, reason = future.result()
            firm, ruc = futures[future]
            if data is None:
                skipped.append(f"RUC {ruc}: {reason}")
            else:
                archive.writestr(name, data)
                included.append(firm)
                built += 1
            job.progress(done)
        note = [
            "Brújula Circular - Informes de las empresas que comparten sus resultados con SNI",
            "",
            f"Filtros: {job.description}",
            f"Informes incluidos: {built}",
        ]
        if skipped:
            note += ["", "Sin informe:", *sorted(skipped)]
        archive.writestr("LEEME.txt", "\n".join(note) + "\n")
    job.detail = {"informes": built, "omitidos": len(skipped), "empresas": built}
    job.firm_ids = np.array(sorted(included), dtype=np.int64)
    job.path, job.file_name, job.mime = path, path.name, ZIP
    job.progress(total, stage="Listo")
