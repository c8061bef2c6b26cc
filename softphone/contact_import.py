"""Personal contacts: JSON storage and CSV / .xlsx import (Qt-free)."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from softphone.phone_numbers import normalize_dial_string

NAME_HEADERS = ("name", "full name", "full_name", "họ tên", "họ và tên", "tên", "ten", "ho ten")
PHONE_HEADERS = (
    "phone",
    "number",
    "mobile",
    "tel",
    "telephone",
    "số điện thoại",
    "điện thoại",
    "sđt",
    "so dien thoai",
)
COMPANY_HEADERS = ("company", "organization", "công ty", "cong ty")


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    number: str
    company: str = ""


class ContactBook:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> list[Contact]:
        try:
            return [Contact(**c) for c in json.loads(self.path.read_text(encoding="utf-8"))]
        except (OSError, ValueError, TypeError):
            return []

    def save(self, contacts: list[Contact]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps([asdict(c) for c in contacts], ensure_ascii=False, indent=1), encoding="utf-8"
        )
        os.replace(tmp, self.path)

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)


def _pick(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for i, h in enumerate(lowered):
        if h in names:
            return i
    return None


def contacts_from_rows(rows: Iterable[list[str]]) -> list[Contact]:
    """Rows of cells, the first being a header naming the name/phone columns (English or Vietnamese).

    Without a recognisable header the first column is the name and the second the number.
    """
    it = iter(rows)
    try:
        first = [str(c or "") for c in next(it)]
    except StopIteration:
        return []
    name_i, phone_i, company_i = (
        _pick(first, NAME_HEADERS),
        _pick(first, PHONE_HEADERS),
        _pick(first, COMPANY_HEADERS),
    )
    pending: list[list[str]] = []
    if name_i is None or phone_i is None:
        name_i, phone_i, company_i = 0, 1, None
        pending.append(first)
    out = []
    for row in [*pending, *([str(c) if c is not None else "" for c in r] for r in it)]:
        if len(row) <= max(name_i, phone_i):
            continue
        number = normalize_dial_string(row[phone_i])
        if number.isdigit() and len(number) == 9 and number[0] in "35789":
            number = "0" + number  # a spreadsheet stored the mobile number as an integer
        name = row[name_i].strip()
        if not number or not name:
            continue
        company = row[company_i].strip() if company_i is not None and company_i < len(row) else ""
        out.append(Contact(name=name, number=number, company=company))
    return out


def read_csv(data: bytes) -> list[Contact]:
    text = data.decode("utf-8-sig", errors="replace")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return contacts_from_rows(csv.reader(io.StringIO(text), dialect))


def read_xlsx(path: Path) -> list[Contact]:
    from openpyxl import load_workbook  # imported lazily: only needed for this import path

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.active
        rows = ([_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True))
        return contacts_from_rows(rows)
    finally:
        wb.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_contacts_file(path: Path) -> list[Contact]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path)
    return read_csv(path.read_bytes())


def merge(existing: list[Contact], new: list[Contact]) -> list[Contact]:
    """Add new contacts; a number already present keeps its old entry."""
    seen = {c.number for c in existing}
    out = list(existing)
    for c in new:
        if c.number not in seen:
            seen.add(c.number)
            out.append(c)
    return out
