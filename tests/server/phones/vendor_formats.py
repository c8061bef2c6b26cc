"""Readers of each vendor's file format, written from the vendors' formats (not from our renderer), and what a
phone of that vendor makes of the settings: its SIP lines, BLF keys, web UI password and provisioning URL.

A test renders (or fetches) a file, reads it back here and compares line values with what the server holds;
the real-client tests configure baresip / softphone-cli from `lines(...)`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

Settings = dict[str, str]


# --- formats ---------------------------------------------------------------------------------------
def parse_yealink(text: str) -> Settings:
    """`#!version:1.0.0.1` then `key = value` lines; `#` comments; `%NULL%` is an empty value."""
    lines = text.splitlines()
    assert lines and lines[0].strip() == "#!version:1.0.0.1", lines[:1]
    out: Settings = {}
    for raw in lines[1:]:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not key = value: {raw!r}"
        value = value.strip()
        out[key.strip()] = "" if value == "%NULL%" else value
    return out


def parse_grandstream(text: str) -> Settings:
    """`<gs_provision><mac/><config><P..>value</P..></config></gs_provision>`; `mac` under key "mac"."""
    root = ET.fromstring(text)
    assert root.tag == "gs_provision", root.tag
    out: Settings = {}
    mac = root.find("mac")
    if mac is not None:
        out["mac"] = mac.text or ""
    config = root.find("config")
    assert config is not None
    for element in config:
        assert re.fullmatch(r"P\d+", element.tag), element.tag
        out[element.tag] = element.text or ""
    return out


def parse_poly(text: str) -> Settings:
    """Every attribute of every element below `<polycomConfig>` is a parameter (element names are free)."""
    root = ET.fromstring(text)
    assert root.tag == "polycomConfig", root.tag
    out: Settings = {}
    for element in root.iter():
        out.update(element.attrib)
    return out


def parse_poly_master(text: str) -> Settings:
    root = ET.fromstring(text)
    assert root.tag == "APPLICATION", root.tag
    return dict(root.attrib)


def parse_snom(text: str) -> Settings:
    """`<settings><phone-settings>` elements, `name[idx]` when indexed; `<functionKeys><fkey idx=..>` with
    `fkey[idx]@label` / `@context` for their attributes."""
    root = ET.fromstring(text)
    assert root.tag == "settings", root.tag
    out: Settings = {}
    for section in root:
        assert section.tag in ("phone-settings", "functionKeys"), section.tag
        for element in section:
            idx = element.get("idx")
            key = element.tag if idx is None else f"{element.tag}[{idx}]"
            out[key] = element.text or ""
            for attr, value in element.attrib.items():
                if attr not in ("idx", "perm"):
                    out[f"{key}@{attr}"] = value
    return out


def parse_cisco(text: str) -> Settings:
    """`<flat-profile>` with one element per parameter (attribute `ua` is the user's access)."""
    root = ET.fromstring(text)
    assert root.tag == "flat-profile", root.tag
    return {element.tag: element.text or "" for element in root}


PARSERS = {
    "yealink": parse_yealink,
    "grandstream": parse_grandstream,
    "poly": parse_poly,
    "snom": parse_snom,
    "cisco": parse_cisco,
}


# --- what a phone makes of them --------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    position: int
    display_name: str
    username: str
    auth_user: str
    password: str
    domain: str
    proxy_host: str
    proxy_port: int
    transport: str  # udp | tcp | tls
    expires: int  # seconds


@dataclass(frozen=True)
class Blf:
    extension: str
    label: str


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = value.partition(":")
    return host, int(port)


def lines(vendor: str, s: Settings) -> list[Line]:
    if vendor == "yealink":
        transports = {"0": "udp", "1": "tcp", "2": "tls"}
        found = sorted({int(m[1]) for k in s if (m := re.fullmatch(r"account\.(\d+)\.enable", k))})
        return [
            Line(
                n,
                s[f"account.{n}.display_name"],
                s[f"account.{n}.user_name"],
                s[f"account.{n}.auth_name"],
                s[f"account.{n}.password"],
                s[f"account.{n}.sip_server.1.address"],
                s[f"account.{n}.outbound_proxy.1.address"],
                int(s[f"account.{n}.outbound_proxy.1.port"]),
                transports[s[f"account.{n}.sip_server.1.transport_type"]],
                int(s[f"account.{n}.sip_server.1.expires"]),
            )
            for n in found
            if s[f"account.{n}.enable"] == "1" and s.get(f"account.{n}.outbound_proxy_enable") == "1"
        ]
    if vendor == "grandstream":
        if s.get("P271") != "1":
            return []
        host, port = _host_port(s["P48"])
        transport = {"0": "udp", "1": "tcp", "2": "tls"}[s["P130"]]
        return [
            Line(
                1, s["P3"], s["P35"], s["P36"], s["P34"], s["P47"], host, port, transport, int(s["P32"]) * 60
            )
        ]
    if vendor == "poly":
        transports = {"UDPOnly": "udp", "TCPOnly": "tcp", "TLS": "tls"}
        found = sorted({int(m[1]) for k in s if (m := re.fullmatch(r"reg\.(\d+)\.address", k))})
        return [
            Line(
                n,
                s[f"reg.{n}.displayName"],
                s[f"reg.{n}.address"],
                s[f"reg.{n}.auth.userId"],
                s[f"reg.{n}.auth.password"],
                s[f"reg.{n}.server.1.address"],
                s[f"reg.{n}.outboundProxy.address"],
                int(s[f"reg.{n}.outboundProxy.port"]),
                transports[s[f"reg.{n}.outboundProxy.transport"]],
                int(s[f"reg.{n}.server.1.expires"]),
            )
            for n in found
        ]
    if vendor == "snom":
        out = []
        for n in sorted({int(m[1]) for k in s if (m := re.fullmatch(r"user_active\[(\d+)\]", k))}):
            if s[f"user_active[{n}]"] != "on":
                continue
            outbound, _, params = s[f"user_outbound[{n}]"].partition(";")
            host, port = _host_port(outbound)
            transport = dict(p.split("=", 1) for p in params.split(";") if "=" in p).get("transport", "udp")
            out.append(
                Line(
                    n,
                    s[f"user_realname[{n}]"],
                    s[f"user_name[{n}]"],
                    s[f"user_pname[{n}]"],
                    s[f"user_pass[{n}]"],
                    s[f"user_host[{n}]"],
                    host,
                    port,
                    transport,
                    int(s[f"user_expiry[{n}]"]),
                )
            )
        return out
    if vendor == "cisco":
        out = []
        for n in sorted({int(m[1]) for k in s if (m := re.fullmatch(r"Line_Enable_(\d+)_", k))}):
            if s[f"Line_Enable_{n}_"] != "Yes":
                continue
            host, port = _host_port(s[f"Outbound_Proxy_{n}_"])
            auth = s[f"Auth_ID_{n}_"] if s.get(f"Use_Auth_ID_{n}_") == "Yes" else s[f"User_ID_{n}_"]
            out.append(
                Line(
                    n,
                    s[f"Display_Name_{n}_"],
                    s[f"User_ID_{n}_"],
                    auth,
                    s[f"Password_{n}_"],
                    s[f"Proxy_{n}_"],
                    host,
                    port,
                    s[f"SIP_Transport_{n}_"].lower(),
                    int(s[f"Register_Expires_{n}_"]),
                )
            )
        return out
    raise AssertionError(vendor)


def blf_keys(vendor: str, s: Settings) -> list[Blf]:
    """The BLF keys in key order."""
    if vendor == "yealink":
        keys = sorted(int(m[1]) for k in s if (m := re.fullmatch(r"linekey\.(\d+)\.type", k)))
        return [
            Blf(s[f"linekey.{n}.value"], s[f"linekey.{n}.label"])
            for n in keys
            if s[f"linekey.{n}.type"] == "16"
        ]
    if vendor == "grandstream":
        bases = sorted(
            int(k[1:]) for k in s if re.fullmatch(r"P2[3-4]\d\d\d", k) and (int(k[1:]) - 23800) % 4 == 0
        )
        return [Blf(s[f"P{b + 3}"], s[f"P{b + 2}"]) for b in bases if s[f"P{b}"] == "1"]
    if vendor == "poly":
        found = sorted(
            int(m[1]) for k in s if (m := re.fullmatch(r"attendant\.resourceList\.(\d+)\.address", k))
        )
        out = []
        for n in found:
            m = re.fullmatch(r"sip:([^@]+)@.*", s[f"attendant.resourceList.{n}.address"])
            assert m, s[f"attendant.resourceList.{n}.address"]
            out.append(Blf(m[1], s[f"attendant.resourceList.{n}.label"]))
        return out
    if vendor == "snom":
        found = sorted(int(m[1]) for k in s if (m := re.fullmatch(r"fkey\[(\d+)\]", k)))
        out = []
        for n in found:
            m = re.fullmatch(r"blf <sip:([^@]+)@[^>]+>", s[f"fkey[{n}]"])
            if m:
                out.append(Blf(m[1], s.get(f"fkey[{n}]@label", "")))
        return out
    if vendor == "cisco":
        found = sorted(int(m[1]) for k in s if (m := re.fullmatch(r"Extended_Function_(\d+)_", k)))
        out = []
        for n in found:
            fields = dict(p.split("=", 1) for p in s[f"Extended_Function_{n}_"].split(";"))
            if fields.get("fnc", "").startswith("blf"):
                out.append(Blf(fields["sub"].split("@")[0], s[f"Short_Name_{n}_"]))
        return out
    raise AssertionError(vendor)


def admin_password(vendor: str, s: Settings) -> str:
    if vendor == "yealink":
        user, _, password = s["static.security.user_password"].partition(":")
        assert user == "admin"
        return password
    key = {
        "grandstream": "P2",
        "poly": "device.auth.localAdminPassword",
        "snom": "http_pass",
        "cisco": "Admin_Password",
    }[vendor]
    return s[key]


def provisioning_url(vendor: str, s: Settings, mac: str) -> str:
    """The URL a phone fetches its next file from, `mac` substituted where the vendor does it."""
    if vendor == "yealink":
        return s["static.auto_provision.server.url"]
    if vendor == "grandstream":
        scheme = {"1": "http", "2": "https"}[s["P212"]]
        return f"{scheme}://{s['P237']}/"
    if vendor == "poly":
        assert s["device.set"] == "1" and s["device.prov.serverName.set"] == "1"
        scheme = {"2": "http", "3": "https"}[s["device.prov.serverType"]]
        return f"{scheme}://{s['device.prov.serverName']}/"
    if vendor == "snom":
        return s["setting_server"].replace("{mac}", mac.upper())
    if vendor == "cisco":
        return s["Profile_Rule"].replace("$MA", mac.lower())
    raise AssertionError(vendor)


SECRET_KEYS = re.compile(
    r"account\.\d+\.password|static\.security\.user_password|P34|P2|reg\.\d+\.auth\.password"
    r"|device\.auth\.localAdminPassword|user_pass\[\d+\]|http_pass|admin_mode_password|Password_\d+_"
    r"|Admin_Password"
)


def secrets_in(s: Settings) -> dict[str, str]:
    """The settings that carry a password (a bootstrap must have none)."""
    return {k: v for k, v in s.items() if SECRET_KEYS.fullmatch(k)}
