"""The official report formats as data: one YAML spec per version, loaded into typed models.

Everything that knows about rows, columns, labels or rules reads them from here.
"""

from disclosure.formats.loader import available_versions, load_spec, spec_for_year, version_for_year
from disclosure.formats.model import (
    Cell,
    Column,
    ColumnKind,
    Equation,
    FormatSpec,
    OutlierTest,
    Quote,
    Row,
    Rule,
    Section,
    Severity,
    Table,
    Term,
)

__all__ = [
    "Cell",
    "Column",
    "ColumnKind",
    "Equation",
    "FormatSpec",
    "OutlierTest",
    "Quote",
    "Row",
    "Rule",
    "Section",
    "Severity",
    "Table",
    "Term",
    "available_versions",
    "load_spec",
    "spec_for_year",
    "version_for_year",
]
