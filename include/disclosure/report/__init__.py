"""Rendering the annual report from the bureau totals: .docx (official typography), .html (portal), .xlsx
(tables), CSV/JSON (totals with official labels). One Jinja environment over the repo's ``templates/``.
"""

from disclosure.report.render import ReportFiles, render_report

__all__ = ["ReportFiles", "render_report"]
