from __future__ import annotations

import pytest

from softphone.contact_import import read_csv, read_xlsx
from softphone.links import parse_args
from softphone.phone_numbers import format_vn_number, normalize_dial_string, to_e164_digits, user_part

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+84 912-345-678", "0912345678"),
        ("tel:0912.345.678", "0912345678"),
        ("84912345678", "0912345678"),
        ("(028) 7300 1234", "02873001234"),
        ("callto:102", "102"),
        ("sip:102@demo.local", "102"),
        ("sip:alice@example.com", "alice@example.com"),
        ("*43", "*43"),
        ("  1900 1234 ", "19001234"),
    ],
)
def test_normalize_dial_string(text: str, expected: str) -> None:
    assert normalize_dial_string(text) == expected


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("0912345678", "0912 345 678"),
        ("02873001234", "028 7300 1234"),
        ("19001234", "1900 1234"),
        ("1800123456", "1800 123 456"),
        ("+84912345678", "+84 912 345 678"),
        ("102", "102"),
        ("*43", "*43"),
    ],
)
def test_vietnamese_display_format(number: str, shown: str) -> None:
    assert format_vn_number(number) == shown


def test_e164_and_user_part() -> None:
    assert to_e164_digits("0912 345 678") == "84912345678"
    assert user_part('"Bình" <sip:102@demo.local;transport=udp>') == "102"


def test_links_and_call_flag() -> None:
    assert parse_args(["--call", "0912 345 678"]).call_target == "0912345678"
    assert parse_args(["tel:+84912345678"]).call_target == "0912345678"
    assert parse_args(["callto:103"]).call_target == "103"
    assert parse_args(["--minimized"]).call_target is None


def test_csv_import_vietnamese_headers() -> None:
    data = "Họ tên;Số điện thoại;Công ty\nNguyễn Văn An;0912 345 678;ACME\nTrần Bình;+84987654321;\n;;\n"
    contacts = read_csv(data.encode("utf-8-sig"))
    assert [(c.name, c.number, c.company) for c in contacts] == [
        ("Nguyễn Văn An", "0912345678", "ACME"),
        ("Trần Bình", "0987654321", ""),
    ]


def test_xlsx_import_numbers_stored_as_integers(tmp_path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Phone"])
    ws.append(["Lê Chi", 912345678])  # Excel dropped the leading zero
    ws.append(["Phạm Dũng", "028 7300 1234"])
    path = tmp_path / "c.xlsx"
    wb.save(path)
    assert [(c.name, c.number) for c in read_xlsx(path)] == [
        ("Lê Chi", "0912345678"),
        ("Phạm Dũng", "02873001234"),
    ]
