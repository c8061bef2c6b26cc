"""Users to and from files: the bulk-import sheet (CSV or XLSX) and the CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from server.domain.bulk_users import NewUser
from server.domain.models import RingMethod, Role, User

COLUMNS = (
    "full_name",
    "phone",
    "email",
    "extension",
    "role",
    "allow_outbound",
    "monthly_minutes",
    "ring_method",
    "mobile_number",
    "password",
)
_TRUE = {"1", "true", "yes", "y", "x", "có", "co"}
_FALSE = {"0", "false", "no", "n", "không", "khong"}


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One data row as read (`values` by column) and what it becomes, or why it cannot."""

    line: int
    values: dict[str, str]
    user: NewUser | None
    error: str | None


def read_sheet(filename: str, data: bytes) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, with or without BOM) or XLSX file, keyed by the header's column names."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        assert sheet is not None
        raw = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    else:
        raw = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    if not raw:
        return []
    header = [h.strip().lower() for h in raw[0]]
    return [
        {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        for row in raw[1:]
        if any(cell.strip() for cell in row)
    ]


def _flag(value: str, default: bool) -> bool:
    text = value.strip().lower()
    if not text:
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("allow_outbound: yes or no")


def to_rows(records: Iterable[dict[str, str]]) -> list[SheetRow]:
    """Each record as a `NewUser`, or the reason it is not one (the domain checks the rest)."""
    rows = []
    for line, values in enumerate(records, start=2):
        try:
            minutes = values.get("monthly_minutes", "")
            user = NewUser(
                full_name=values.get("full_name", ""),
                phone=values.get("phone", ""),
                email=values.get("email") or None,
                password=values.get("password") or None,
                role=Role(values.get("role") or Role.AGENT.value),
                extensions=tuple(e for e in values.get("extension", "").replace(";", " ").split() if e),
                allow_outbound=_flag(values.get("allow_outbound", ""), True),
                monthly_minutes=int(minutes) if minutes else None,
                ring_method=RingMethod(values.get("ring_method") or RingMethod.ALL.value),
                mobile_number=values.get("mobile_number") or None,
            )
            rows.append(SheetRow(line, values, user, None))
        except ValueError as exc:
            rows.append(SheetRow(line, values, None, str(exc)))
    return rows


def to_csv(rows: list[SheetRow]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.values)
    return out.getvalue()


def export_csv(users: Iterable[User], minutes_used: dict[int, float]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*COLUMNS[:-1], "active", "dnd", "minutes_used", "devices"])
    for u in users:
        writer.writerow(
            [
                u.full_name,
                u.phone,
                u.email or "",
                " ".join(e.number for e in u.extensions),
                u.role,
                "yes" if u.allow_outbound else "no",
                "" if u.monthly_minutes is None else u.monthly_minutes,
                u.ring_method,
                u.mobile_number or "",
                "yes" if u.active else "no",
                "yes" if u.dnd else "no",
                round(minutes_used.get(u.id, 0.0), 2),
                " ".join(f"{d.kind}:{d.sip_username}" for d in u.devices),
            ]
        )
    return out.getvalue()
