"""`budgetlens export --reviewed`: the findings reviewers confirmed, with their evidence
and pages, as CSV and .xlsx for the audit file."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl.styles import Alignment, Font

from .data import ReviewStore, evidence_items

COLUMNS = ["flag_id", "department", "year", "document", "severity", "family", "rule", "message", "stated",
           "expected", "difference", "evidence", "pages", "note", "reviewer", "decided_at"]
EVIDENCE_COLUMNS = ["flag_id", "item", "kind", "evidence", "page", "file"]


def reviewed_frames(store_path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(findings, evidence): one row per confirmed flag (whose figures have not changed
    since), and one row per evidence line of those flags with its page."""
    flags = ReviewStore(store_path).flags(decision="confirmed")
    rows, ev_rows = [], []
    for f in flags.to_dict("records"):
        items = evidence_items(f)
        lines = [it["text"] + (f"  (p. {it['page']})" if it["page"] else "") for it in items]
        pages = sorted({it["page"] for it in items if it["page"]})
        rows.append({
            "flag_id": f["flag_id"], "department": f.get("department"), "year": f.get("year"),
            "document": Path(str(f.get("source"))).name, "severity": f["severity"], "family": f["family"],
            "rule": f["rule"], "message": f["message"], "stated": f.get("stated"), "expected": f.get("expected"),
            "difference": f.get("difference"), "evidence": "\n".join(lines),
            "pages": ", ".join(str(p) for p in pages), "note": f.get("note"), "reviewer": f.get("reviewer"),
            "decided_at": f.get("decided_at"),
        })
        for it in items:
            ev_rows.append({"flag_id": f["flag_id"], "item": it["index"] + 1, "kind": it["kind"],
                            "evidence": it["text"], "page": it["page"], "file": it["file"]})
    return pd.DataFrame(rows, columns=COLUMNS), pd.DataFrame(ev_rows, columns=EVIDENCE_COLUMNS)


def export_reviewed(store_path, out_dir) -> tuple[Path, Path, int]:
    """Write reviewed_findings.csv (UTF-8 with BOM, so spreadsheet programs read the Chinese)
    and reviewed_findings.xlsx (sheets `findings` and `evidence`); returns paths and count."""
    findings, evidence = reviewed_frames(store_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "reviewed_findings.csv"
    xlsx = out / "reviewed_findings.xlsx"
    findings.to_csv(csv, index=False, encoding="utf-8-sig")
    with pd.ExcelWriter(xlsx, engine="openpyxl") as xw:
        findings.to_excel(xw, sheet_name="findings", index=False)
        evidence.to_excel(xw, sheet_name="evidence", index=False)
        for name, df in (("findings", findings), ("evidence", evidence)):
            ws = xw.sheets[name]
            for cell in ws[1]:
                cell.font = Font(bold=True)
            widths = {"message": 60, "evidence": 80, "note": 40, "file": 50}
            for i, col in enumerate(df.columns, start=1):
                ws.column_dimensions[ws.cell(1, i).column_letter].width = widths.get(col, 14)
                if col in ("message", "evidence", "note"):
                    for row in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                        row[0].alignment = Alignment(wrap_text=True, vertical="top")
            ws.freeze_panes = "A2"
    return csv, xlsx, len(findings)
