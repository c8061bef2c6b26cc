"""Snom (D7xx, D8xx; firmware 10): `<MAC>.xml`, a `<settings>` document, per-identity settings by `idx`.

The phone fetches its `setting_server` URL with `{mac}` replaced by its upper-case MAC; its User-Agent names
model and firmware and usually the MAC: `Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33
2010.12-00004-g9ba52f5 000413922D24 SXM:0 UXM:0)`.  A settings file may name another `setting_server`,
which the phone follows.

Keys in this module (and in per-phone overrides) are setting names, `name[idx]` for indexed ones and
`name[idx]@attribute` for an attribute of that element; `fkey[...]` go to `<functionKeys>`, the rest to
`<phone-settings>`.  Every element is `perm="R"`: the user cannot change what provisioning set.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from server.phones.values import PhoneConfig, ProvisioningSource
from server.phones.vendor import Model, Settings, Vendor, xml_bytes

_KEY = re.compile(r"(?P<name>[a-z][a-z0-9_]*)(?:\[(?P<idx>\d{1,3})\])?(?:@(?P<attr>[a-z_]+))?")
FUNCTION_KEY = "fkey"


class Snom(Vendor):
    name = "snom"
    label = "Snom"
    media_type = "application/xml; charset=utf-8"
    lines_take_keys = True
    languages = {"en": "English"}
    # The MAC, when sent, is a later word of upper-case hex digits.
    user_agent_pattern = re.compile(
        r"\bsnom(?P<model>\w+)-SIP\s+(?P<firmware>[\d.]+)(?:.*?\b(?P<mac>[0-9A-F]{12})\b)?"
    )
    pairing_pattern = re.compile(r"([0-9a-f]{12})\.xml", re.IGNORECASE)
    known_pattern = re.compile(r"snom.*|.*\.(?:bin|htm|html)", re.IGNORECASE)
    override_key = _KEY
    override_example = "user_dtmf_info[1]"
    models = {
        m.name: m
        for m in (
            Model("D717", lines=6, keys=3),
            Model("D735", lines=12, keys=32),
            Model("D785", lines=12, keys=24),
            Model("D865", lines=12, keys=24),
        )
    }
    base = {"update_policy": "settings_only", "dst": "", "timezone": ""}

    def pairing_file(self, mac: str) -> str:
        return f"{mac.upper()}.xml"

    def source_settings(self, source: ProvisioningSource) -> Settings:
        return {
            "setting_server": f"{source.url}{{mac}}.xml",
            "settings_refresh_timer": str(source.check_seconds),
        }

    def documents(self, config: PhoneConfig) -> dict[str, Settings]:
        locale, pbx = config.locale, config.pbx
        phone: Settings = {
            "utc_offset": f"{locale.utc_offset_minutes * 60:+d}",
            "ntp_server": locale.ntp_server,
            "language": self.language(locale.language),
            "web_language": self.language(locale.language),
            **self.source_settings(config.source),
            "http_user": "admin",
            "http_pass": config.admin_password,
            "admin_mode_password": config.admin_password,
        }
        for line in config.lines:
            i = line.position
            phone |= {
                f"user_active[{i}]": "on",
                f"user_realname[{i}]": line.display_name,
                f"user_idle_text[{i}]": line.extension or line.username,
                f"user_name[{i}]": line.username,
                f"user_pname[{i}]": line.username,
                f"user_pass[{i}]": line.password,
                f"user_host[{i}]": line.domain,
                f"user_outbound[{i}]": f"{pbx.host}:{pbx.port};transport={pbx.transport}",
                f"user_expiry[{i}]": str(pbx.register_expires),
                f"user_srtp[{i}]": "off" if pbx.srtp == "off" else "on",
                f"user_savp[{i}]": pbx.srtp,
                f"{FUNCTION_KEY}[{i - 1}]": "line",
                f"{FUNCTION_KEY}[{i - 1}]@context": str(i),
            }
        for idx, key in enumerate(config.blf_keys, start=len(config.lines)):
            phone |= {
                f"{FUNCTION_KEY}[{idx}]": f"blf <{key.uri}>",
                f"{FUNCTION_KEY}[{idx}]@context": "active",
                f"{FUNCTION_KEY}[{idx}]@label": key.label,
            }
        return self.single_file(config, phone)

    def canonical(self, filename: str) -> str:
        return filename.upper().replace(".XML", ".xml")

    def serialize(self, settings: Settings, *, mac: str) -> bytes:
        root = ET.Element("settings")
        sections = {
            False: ET.SubElement(root, "phone-settings", e="2"),
            True: ET.SubElement(root, "functionKeys", e="2"),
        }
        elements: dict[tuple[str, str | None], ET.Element] = {}
        for key, value in settings.items():
            m = _KEY.fullmatch(key)
            if m is None:
                continue  # overrides are checked on the way in; a stray key never breaks the file
            name, idx, attr = m["name"], m["idx"], m["attr"]
            element = elements.get((name, idx))
            if element is None:
                attributes = {"idx": idx, "perm": "R"} if idx is not None else {"perm": "R"}
                element = ET.SubElement(sections[name == FUNCTION_KEY], name, attributes)
                elements[(name, idx)] = element
            if attr is None:
                element.text = value
            else:
                element.set(attr, value)
        return xml_bytes(root)
