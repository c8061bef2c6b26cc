"""Cisco IP Phone multiplatform firmware (MPP, "3PCC"): `<mac>.xml`, a `<flat-profile>` of parameters.

The phone resyncs from its Profile Rule, where `$MA` is its lower-case MAC; its User-Agent carries the MAC:
`Cisco-CP-8841-3PCC/11.3.1 (00562b043615)`.  Per-line parameters end in `_<n>_`; line keys are numbered
the same way, so BLF keys take the keys after the lines (`fnc=blf+sd+cp;sub=...`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from server.phones.values import PhoneConfig, ProvisioningSource
from server.phones.vendor import Model, Settings, Vendor, xml_bytes

_TRANSPORT = {"udp": "UDP", "tcp": "TCP", "tls": "TLS"}
_SECURE_CALL = {"optional": "Optional", "mandatory": "Required"}
_LABEL_UNSAFE = re.compile(r"[;=]")


class Cisco(Vendor):
    name = "cisco"
    label = "Cisco MPP"
    media_type = "text/xml; charset=utf-8"
    lines_take_keys = True
    languages = {"en": "English"}
    user_agent_pattern = re.compile(
        r"^cisco-(?P<model>cp-\d{4}\w*?(?:-3pcc)?)/(?P<firmware>\S+)\s+\((?P<mac>[0-9a-f]{12})\)",
        re.IGNORECASE,
    )
    pairing_pattern = re.compile(r"([0-9a-f]{12})\.xml", re.IGNORECASE)
    known_pattern = re.compile(r"(?:cp-?)?\d{4}.*|.*\.(?:loads|sbn|sgn|zz|cnf\.xml)|spa.*", re.IGNORECASE)
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

    def pairing_file(self, mac: str) -> str:
        return f"{mac}.xml"

    def source_settings(self, source: ProvisioningSource) -> Settings:
        return {"Profile_Rule": f"{source.url}$MA.xml", "Resync_Periodic": str(source.check_seconds)}

    def documents(self, config: PhoneConfig) -> dict[str, Settings]:
        locale, pbx = config.locale, config.pbx
        phone: Settings = {
            "Time_Zone": locale.gmt_offset,
            "Primary_NTP_Server": locale.ntp_server,
            **self.source_settings(config.source),
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
        return self.single_file(config, phone)

    def serialize(self, settings: Settings, *, mac: str) -> bytes:
        root = ET.Element("flat-profile")
        for key, value in settings.items():
            ET.SubElement(root, key, ua="na").text = value
        return xml_bytes(root)
