"""Grandstream GXP21xx: `cfg<mac>.xml`, a `<gs_provision>` document of P-values.

The phone asks for `cfg<mac>.xml` (then `cfg<mac>`, `cfg.xml`); its User-Agent carries the MAC:
`Grandstream Model HW GXP2170 SW 1.0.11.6 DevId 000b82aabbcc`.  The config server is given without its
scheme (P237) and the protocol separately (P212).  One SIP account: the P-values of accounts 2+ differ
between firmware families, so they are left to per-phone overrides.  BLF keys are virtual multi-purpose keys
(P23800 + 4 per key: mode, account, description, value), after the line's own key.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from server.phones.values import PhoneConfig, ProvisioningSource
from server.phones.vendor import Model, Settings, Vendor, xml_bytes

_TRANSPORT = {"udp": "0", "tcp": "1", "tls": "2"}
_SRTP = {"off": "0", "optional": "1", "mandatory": "2"}
VPK_BASE, VPK_STRIDE, BLF_MODE = 23800, 4, "1"


class Grandstream(Vendor):
    name = "grandstream"
    label = "Grandstream"
    media_type = "text/xml; charset=utf-8"
    lines_take_keys = True
    languages = {"en": "en", "vi": "vi"}
    user_agent_pattern = re.compile(
        r"^grandstream\s+model\s+hw\s+(?P<model>\w+)(?:\s+v\S+)?\s+sw\s+(?P<firmware>\S+)\s+devid\s+"
        r"(?P<mac>[0-9a-f]{12})\b",
        re.IGNORECASE,
    )
    pairing_pattern = re.compile(r"cfg([0-9a-f]{12})\.xml", re.IGNORECASE)
    known_pattern = re.compile(r"cfg[0-9a-z]*(?:\.xml|\.cfg)?|.*\.bin|.*fw.*", re.IGNORECASE)
    override_key = re.compile(r"P\d{1,5}")
    override_example = "P1347"
    models = {
        m.name: m
        for m in (
            Model("GXP2135", lines=1, keys=24),
            Model("GXP2140", lines=1, keys=24),
            Model("GXP2160", lines=1, keys=24),
            Model("GXP2170", lines=1, keys=24),
        )
    }
    base = {
        "P64": "customize",  # the time zone is the POSIX string in P246
        "P143": "0",  # DHCP option 2 does not override the time zone
        "P144": "0",  # DHCP option 42 does not override the NTP server
        "P122": "1",  # 24-hour clock
    }

    def pairing_file(self, mac: str) -> str:
        return f"cfg{mac}.xml"

    def source_settings(self, source: ProvisioningSource) -> Settings:
        # 60 minutes is the shortest check interval; the phone reboots to apply a new config server anyway.
        return {
            "P212": "2" if source.secure else "1",  # config upgrade via HTTPS / HTTP
            "P237": source.host_and_path,
            "P194": "1",  # check every P193 minutes
            "P193": str(max(60, source.check_seconds // 60)),
        }

    def documents(self, config: PhoneConfig) -> dict[str, Settings]:
        locale, pbx, line = config.locale, config.pbx, config.lines[0]
        phone: Settings = {
            "P246": _posix_tz(locale.utc_offset_minutes),
            "P30": locale.ntp_server,
            "P1362": self.language(locale.language),
            "P2": config.admin_password,
            **self.source_settings(config.source),
            "P271": "1",
            "P270": line.extension or line.username,
            "P3": line.display_name,
            "P47": line.domain,
            "P48": f"{pbx.host}:{pbx.port}",
            "P35": line.username,
            "P36": line.username,
            "P34": line.password,
            "P130": _TRANSPORT[pbx.transport],
            "P32": str(max(1, pbx.register_expires // 60)),  # minutes
            "P183": _SRTP[pbx.srtp],
        }
        for number, key in enumerate(config.blf_keys, start=len(config.lines) + 1):
            p = VPK_BASE + (number - 1) * VPK_STRIDE
            phone |= {f"P{p}": BLF_MODE, f"P{p + 1}": "0", f"P{p + 2}": key.label, f"P{p + 3}": key.extension}
        return self.single_file(config, phone)

    def serialize(self, settings: Settings, *, mac: str) -> bytes:
        root = ET.Element("gs_provision", version="1")
        ET.SubElement(root, "mac").text = mac
        config = ET.SubElement(root, "config", version="1")
        for key, value in settings.items():
            ET.SubElement(config, key).text = value
        return xml_bytes(root)


def _posix_tz(offset_minutes: int) -> str:
    """A POSIX TZ string for a fixed offset (POSIX counts east negative): +420 -> "ICT-7"."""
    hours, minutes = divmod(abs(offset_minutes), 60)
    name = "ICT" if offset_minutes == 420 else "LOC"  # plain letters: older firmware rejects "<+07>"
    sign = "-" if offset_minutes > 0 else ""
    return f"{name}{sign}{hours}" + (f":{minutes:02d}" if minutes else "")
