"""Each vendor's file names, User-Agents and files: rendered, then read back with that vendor's own format."""

from __future__ import annotations

import dataclasses

import pytest
from desk_phone_sim import MODELS, user_agent
from vendor_formats import PARSERS, Blf, Line, admin_password, blf_keys, lines, provisioning_url, secrets_in

from server.phones import catalog
from server.phones.catalog import MacRequestKind
from server.phones.values import (
    BlfKey,
    Bootstrap,
    Locale,
    PbxAddress,
    PhoneConfig,
    ProvisioningSource,
    SipLine,
)
from server.phones.vendor import FileRole, format_mac, normalize_mac

pytestmark = pytest.mark.unit

VENDORS = [v.name for v in catalog.VENDORS]
MAC = "00156500abcd"
NAME = 'Lê Văn "Cường" <&> Ý'  # Vietnamese, quotes and XML specials must survive every format
URL = "https://pbx.example.vn/phones/tok3nTOK3Ntok3nTOK3Ntok3nTOK3N0123456789abc/"


def config(vendor: str, **changes: object) -> PhoneConfig:
    lines_ = (
        SipLine(1, "103", NAME, "u103-ipphone", "s3cret-Pass_1", "demo.local"),
        SipLine(2, "101", "Nguyễn Văn An", "u101-ipphone", "s3cret-Pass_2", "demo.local"),
    )
    base = PhoneConfig(
        mac=MAC,
        model=MODELS[vendor],
        label="Lễ tân",
        lines=lines_ if vendor != "grandstream" else lines_[:1],
        blf_keys=(BlfKey("101", "An & Bình", "demo.local"), BlfKey("102", "Trần Thị Bình", "demo.local")),
        pbx=PbxAddress("203.0.113.10", 5080, "tcp", 600, "optional"),
        locale=Locale(),
        admin_password="Adm1nPassw0rd",
        source=ProvisioningSource(URL, 86400),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def rendered(vendor: str, cfg: PhoneConfig) -> dict[str, str]:
    """Every file the token URL serves for `cfg`, read back and merged in the order a phone loads them."""
    v = catalog.vendor(vendor)
    assert v is not None
    merged: dict[str, str] = {}
    for name in v.documents(cfg):
        body = v.render(name, cfg)
        assert body is not None
        merged.update(PARSERS[vendor](body.decode()))
    return merged


@pytest.mark.parametrize("vendor", VENDORS)
def test_token_files_read_back_into_the_same_line_values(vendor: str) -> None:
    cfg = config(vendor)
    settings = rendered(vendor, cfg)
    got = lines(vendor, settings)
    expected = [
        Line(
            ln.position,
            ln.display_name,
            ln.username,
            ln.username,
            ln.password,
            ln.domain,
            "203.0.113.10",
            5080,
            "tcp",
            600,
        )
        for ln in cfg.lines
    ]
    assert got == expected
    assert blf_keys(vendor, settings) == [Blf("101", "An & Bình"), Blf("102", "Trần Thị Bình")]
    assert admin_password(vendor, settings) == "Adm1nPassw0rd"
    assert provisioning_url(vendor, settings, MAC).startswith(URL.rstrip("/"))


@pytest.mark.parametrize("vendor", VENDORS)
def test_bootstrap_names_only_the_token_url(vendor: str) -> None:
    v = catalog.vendor(vendor)
    assert v is not None
    body = v.bootstrap(Bootstrap(MAC, MODELS[vendor], ProvisioningSource(URL, 60))).decode()
    settings = PARSERS[vendor](body)
    assert secrets_in(settings) == {}
    assert "s3cret" not in body and "Adm1n" not in body
    url = provisioning_url(vendor, settings, MAC)
    assert url.startswith(URL.rstrip("/"))


@pytest.mark.parametrize("vendor", VENDORS)
def test_overrides_come_last_and_replace_what_was_rendered(vendor: str) -> None:
    v = catalog.vendor(vendor)
    assert v is not None
    replaced = {
        "yealink": "account.1.label",
        "grandstream": "P270",
        "poly": "reg.1.label",
        "snom": "user_idle_text[1]",
        "cisco": "Short_Name_1_",
    }[vendor]
    overrides = {replaced: "Quầy 1", v.override_example: "42"}
    for key in overrides:
        assert v.override_key.fullmatch(key), key
    settings = rendered(vendor, config(vendor, overrides=overrides))
    assert settings[replaced] == "Quầy 1"
    assert settings[v.override_example] == "42"


def test_yealink_common_file_has_the_model_and_locale_the_mac_file_the_rest() -> None:
    v = catalog.vendor("yealink")
    assert v is not None
    cfg = config("yealink", overrides={"features.dnd.enable": "1"})
    docs = v.documents(cfg)
    assert list(docs) == ["y000000000096.cfg", f"{MAC}.cfg"]
    common, own = docs["y000000000096.cfg"], docs[f"{MAC}.cfg"]
    assert common["local_time.time_zone"] == "+7" and common["local_time.ntp_server1"] == "vn.pool.ntp.org"
    assert not secrets_in(common) and "features.dnd.enable" not in common
    assert own["features.dnd.enable"] == "1" and own["linekey.3.type"] == "16"  # 2 lines, then BLF keys


@pytest.mark.parametrize(
    ("vendor", "locale_keys"),
    [
        ("yealink", {"local_time.time_zone": "+7", "lang.gui": "English"}),
        ("grandstream", {"P64": "customize", "P246": "ICT-7", "P1362": "vi", "P30": "vn.pool.ntp.org"}),
        ("poly", {"tcpIpApp.sntp.gmtOffset": "25200", "tcpIpApp.sntp.address": "vn.pool.ntp.org"}),
        ("snom", {"utc_offset": "+25200", "ntp_server": "vn.pool.ntp.org"}),
        ("cisco", {"Time_Zone": "GMT+07:00", "Primary_NTP_Server": "vn.pool.ntp.org"}),
    ],
)
def test_time_zone_ntp_and_language(vendor: str, locale_keys: dict[str, str]) -> None:
    settings = rendered(vendor, config(vendor))
    assert {k: settings[k] for k in locale_keys} == locale_keys


USER_AGENTS = {
    "Yealink SIP-T54W 96.86.0.70 00:15:65:00:01:03": ("yealink", "T54W", "96.86.0.70", "001565000103"),
    "Yealink SIP-T46U 108.86.0.45 80:5e:c0:11:22:33": ("yealink", "T46U", "108.86.0.45", "805ec0112233"),
    "Yealink W60B 77.83.0.25 80:5e:c0:aa:bb:cc": ("yealink", "W60B", "77.83.0.25", "805ec0aabbcc"),
    "Grandstream Model HW GXP2170 SW 1.0.11.6 DevId 000b82aabbcc": (
        "grandstream",
        "GXP2170",
        "1.0.11.6",
        "000b82aabbcc",
    ),
    "Grandstream Model HW GRP2614 V1.2A SW 1.0.5.15 DevId c074ad0b63ee": (
        "grandstream",
        "GRP2614",
        "1.0.5.15",
        "c074ad0b63ee",
    ),
    "FileTransport PolycomVVX-VVX_450-UA/6.4.3.5018 Type/Application": ("poly", "VVX450", "6.4.3.5018", None),
    "FileTransport PolyEdge-Edge_E450-UA/8.0.2.3267 Type/Application": (
        "poly",
        "EdgeE450",
        "8.0.2.3267",
        None,
    ),
    "Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 2010.12-00004-g9ba52f5 000413922D24 SXM:0 UXM:0)": (
        "snom",
        "D785",
        "10.1.33.33",
        "000413922d24",
    ),
    "Mozilla/4.0 (compatible; snom710-SIP 8.7.3.19 1.1.5-IFX-05.01.12)": ("snom", "710", "8.7.3.19", None),
    "Cisco-CP-8841-3PCC/11.3.1 (00562b043615)": ("cisco", "CP-8841-3PCC", "11.3.1", "00562b043615"),
}


@pytest.mark.parametrize(("ua", "expected"), USER_AGENTS.items())
def test_user_agents_name_vendor_model_firmware_and_mac(ua: str, expected: tuple[str, ...]) -> None:
    found = catalog.identify(ua)
    assert found is not None
    info = found[1]
    assert (info.vendor, info.model, info.firmware, info.mac) == expected


@pytest.mark.parametrize("ua", ["", "Mozilla/5.0 (X11; Linux x86_64) Chrome/120", "curl/8.5.0", "Yealink"])
def test_browsers_and_tools_are_no_phone(ua: str) -> None:
    assert catalog.identify(ua) is None


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_simulated_user_agents_are_recognised(vendor: str) -> None:
    found = catalog.identify(user_agent(vendor, MAC))
    assert found is not None and found[0].name == vendor
    assert found[1].mac in (MAC, None)


@pytest.mark.parametrize(
    ("vendor", "filename", "role", "mac"),
    [
        ("yealink", "00156500abcd.cfg", FileRole.PAIRING, MAC),
        ("yealink", "y000000000096.cfg", FileRole.KNOWN, None),
        ("yealink", "00156500abcd-local.cfg", FileRole.KNOWN, None),
        ("grandstream", "cfg00156500abcd.xml", FileRole.PAIRING, MAC),
        ("grandstream", "cfg00156500abcd", FileRole.KNOWN, None),
        ("poly", "00156500abcd-phone.cfg", FileRole.PAIRING, MAC),
        ("poly", "000000000000.cfg", FileRole.SHARED, None),
        ("poly", "00156500abcd.cfg", FileRole.KNOWN, None),
        ("snom", "00156500ABCD.xml", FileRole.PAIRING, MAC),
        ("snom", "snomD785.htm", FileRole.KNOWN, None),
        ("cisco", "00156500abcd.xml", FileRole.PAIRING, MAC),
    ],
)
def test_file_names(vendor: str, filename: str, role: FileRole, mac: str | None) -> None:
    v = catalog.vendor(vendor)
    assert v is not None
    found = v.classify(filename)
    assert found is not None and (found.role, found.mac) == (role, mac)


def test_by_mac_lets_the_user_agent_decide_what_a_file_name_means() -> None:
    yealink, poly = user_agent("yealink", MAC), user_agent("poly", MAC)
    assert catalog.by_mac(f"{MAC}.cfg", yealink).kind is MacRequestKind.PAIR
    assert catalog.by_mac(f"{MAC}.cfg", poly).kind is MacRequestKind.QUIET  # Poly asks first, then falls back
    assert catalog.by_mac("000000000000.cfg", poly).kind is MacRequestKind.SHARED
    assert catalog.by_mac("000000000000.cfg", yealink).kind is MacRequestKind.QUIET
    suspect = catalog.by_mac(f"{MAC}.cfg", "curl/8.5.0")
    assert (suspect.kind, suspect.mac, suspect.vendor) == (MacRequestKind.SUSPECT, MAC, None)
    assert catalog.by_mac(f"cfg{MAC}.xml", yealink).kind is MacRequestKind.SUSPECT  # a Grandstream file
    assert catalog.by_mac("index.html", yealink).kind is MacRequestKind.QUIET


def test_macs() -> None:
    assert normalize_mac("00:15:65:00:01:03") == normalize_mac("00-15-65-00-01-03") == "001565000103"
    assert normalize_mac("001565000103") == "001565000103"
    assert normalize_mac("00:00:00:00:00:00") is None
    assert normalize_mac("00:15:65:00:01") is None
    assert normalize_mac("zz:15:65:00:01:03") is None
    assert format_mac("001565000103") == "00:15:65:00:01:03"
