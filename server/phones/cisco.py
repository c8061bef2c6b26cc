"""Cisco IP Phone multiplatform firmware (MPP, "3PCC"): `<mac>.xml`, a `<flat-profile>` of parameters.

The phone resyncs from its Profile Rule, where `$MA` is its lower-case MAC; its User-Agent carries the MAC:
`Cisco-CP-8841-3PCC/11.3.1 (00562b043615)`.  Per-line parameters end in `_<n>_`; line keys are numbered
the same way, so BLF keys take the keys after the lines (`fnc=blf+sd+cp;sub=...`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from server.phones.values import Bootstrap, PhoneConfig, ProvisioningSource
from server.phones.vendor import (
    FileRole,
    Model,
    PhoneFile,
    Settings,
    UserAgentInfo,
    Vendor,
    layered,
    normalize_mac,
    xml_bytes,
)

_UA = re.compile(
    r"^cisco-(?P<model>cp-\d{4}\w*?(?:-3pcc)?)/(?P<firmware>\S+)\s+\((?P<mac>[0-9a-f]{12})\)", re.IGNORECASE
)
_MAC_FILE = re.compile(r"([0-9a-f]{12})\.xml", re.IGNORECASE)
_KNOWN = re.compile(r"(?:cp-?)?\d{4}.*|.*\.(?:loads|sbn|sgn|zz|cnf\.xml)|spa.*", re.IGNORECASE)
_TRANSPORT = {"udp": "UDP", "tcp": "TCP", "tls": "TLS"}
_SECURE_CALL = {"optional": "Optional", "mandatory": "Required"}
_LABEL_UNSAFE = re.compile(r"[;=]")


class Cisco(Vendor):
    name = "cisco"
    label = "Cisco MPP"
    media_type = "text/xml; charset=utf-8"
    lines_take_keys = True
    languages = {"en": "English"}
    override_key = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
    override_example = "Dial_Plan_1_"
    models = {
        m.name: m
        for m in (
            Model("CP-6841-3PCC", lines=4, keys=4),
            Model("CP-7841-3PCC", lines=4, keys=4),
            Model("CP-8841-3PCC", lines=10, keys=10),
            Model("CP-8851-3PCC", lines=10, keys=10),
            Model("CP-8861-3PCC", lines=10, keys=10),
        )
    }
    base = {
        "Provision_Enable": "Yes",
        "Resync_On_Reset": "Yes",
        "Resync_Error_Retry_Delay": "3600",
        "Daylight_Saving_Time_Enable": "No",
    }

    def identify(self, user_agent: str) -> UserAgentInfo | None:
        m = _UA.match(user_agent.strip())
        if m is None:
            return None
        return UserAgentInfo(self.name, m["model"].upper(), m["firmware"], normalize_mac(m["mac"]))

    def classify(self, filename: str) -> PhoneFile | None:
        if (m := _MAC_FILE.fullmatch(filename)) and (mac := normalize_mac(m[1])):
            return PhoneFile(FileRole.PAIRING, mac)
        if _KNOWN.fullmatch(filename):
            return PhoneFile(FileRole.KNOWN)
        return None

    def pairing_file(self, mac: str) -> str:
        return f"{mac}.xml"

    def _source(self, source: ProvisioningSource, *, resync_seconds: int) -> Settings:
        return {"Profile_Rule": f"{source.url}$MA.xml", "Resync_Periodic": str(resync_seconds)}

    def bootstrap(self, bootstrap: Bootstrap) -> bytes:
        # Resync from the new rule within a minute; the token file sets the real period.
        return self.serialize(self._source(bootstrap.source, resync_seconds=60), mac=bootstrap.mac)

    def documents(self, config: PhoneConfig) -> dict[str, Settings]:
        model = self.models[config.model]
        locale, pbx = config.locale, config.pbx
        phone: Settings = {
            "Time_Zone": locale.gmt_offset,
            "Primary_NTP_Server": locale.ntp_server,
            **self._source(config.source, resync_seconds=config.source.check_seconds),
            "Admin_Password": config.admin_password,
            "Station_Display_Name": config.label or config.lines[0].display_name,
        }
        for line in config.lines:
            n = line.position
            phone |= {
                f"Line_Enable_{n}_": "Yes",
                f"Display_Name_{n}_": line.display_name,
                f"User_ID_{n}_": line.username,
                f"Auth_ID_{n}_": line.username,
                f"Use_Auth_ID_{n}_": "Yes",
                f"Password_{n}_": line.password,
                f"Proxy_{n}_": line.domain,
                f"Outbound_Proxy_{n}_": f"{pbx.host}:{pbx.port}",
                f"Use_Outbound_Proxy_{n}_": "Yes",
                f"SIP_Transport_{n}_": _TRANSPORT[pbx.transport],
                f"Register_Expires_{n}_": str(pbx.register_expires),
                f"Extension_{n}_": str(n),
                f"Short_Name_{n}_": line.extension or line.username,
            }
            if pbx.srtp in _SECURE_CALL:
                phone[f"Secure_Call_Option_{n}_"] = _SECURE_CALL[pbx.srtp]
        for n, key in enumerate(config.blf_keys, start=len(config.lines) + 1):
            label = _LABEL_UNSAFE.sub(" ", key.label)
            phone |= {
                f"Extension_{n}_": "Disabled",
                f"Short_Name_{n}_": label,
                f"Extended_Function_{n}_": f"fnc=blf+sd+cp;sub={key.extension}@{key.domain};nme={label}",
            }
        return {self.pairing_file(config.mac): layered(self.base, model.params, phone, config.overrides)}

    def _canonical(self, filename: str) -> str:
        return filename.lower()

    def serialize(self, settings: Settings, *, mac: str) -> bytes:
        root = ET.Element("flat-profile")
        for key, value in settings.items():
            ET.SubElement(root, key, ua="na").text = value
        return xml_bytes(root)
