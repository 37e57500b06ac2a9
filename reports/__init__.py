"""Reports of one assessment: ScoreResult + ReportContext -> PDF, XLSX or JSON bytes.

No streamlit and no database here; the PDF template draws its charts from
``reports.charts`` data.
"""

from reports.context import Firm, ReportContext
from reports.excel import build_xlsx
from reports.json_report import build_json, validate_report_json
from reports.pdf import build_pdf

__all__ = [
    "Firm",
    "ReportContext",
    "build_json",
    "build_pdf",
    "build_xlsx",
    "validate_report_json",
]
