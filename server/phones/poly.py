"""Poly (VVX, Edge E; UC Software / PVOS): a master file `000000000000.cfg` naming `<mac>-phone.cfg`.

A booting phone asks for `<mac>.cfg`, falls back to the master `000000000000.cfg` (the same for every phone,
no secrets), and then fetches the files the master lists: here `[PHONE_MAC_ADDRESS]-phone.cfg`.  Its
User-Agent names model and firmware but not the MAC: `FileTransport PolycomVVX-VVX_450-UA/6.4.3.5018`.
The bootstrap changes the provisioning server (`device.prov.*`; device parameters apply after the restart
the phone does on its own); the phone file is a `<polycomConfig>` whose attributes are the parameters.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from server.phones.values import PhoneConfig, ProvisioningSource
from server.phones.vendor import FileRole, Model, PhoneFile, Settings, Vendor, xml_bytes

MASTER_FILE = "000000000000.cfg"
_TRANSPORT = {"udp": "UDPOnly", "tcp": "TCPOnly", "tls": "TLS"}
_SERVER_TYPE = {False: "2", True: "3"}  # device.prov.serverType: HTTP 2, HTTPS 3


class Poly(Vendor):
    name = "poly"
    label = "Poly"
    media_type = "application/xml; charset=utf-8"
    languages = {"en": "English_United_States"}  # no Vietnamese in UC Software
    user_agent_pattern = re.compile(
        r"\bpoly(?:com)?[a-z]*-(?P<model>[a-z0-9_]+)-ua/(?P<firmware>[\d.]+)", re.IGNORECASE
    )
    pairing_pattern = re.compile(r"([0-9a-f]{12})-phone\.cfg", re.IGNORECASE)
    # Poly asks for <mac>.cfg first and falls back to the master file: <mac>.cfg is known, never served.
    known_pattern = re.compile(r"[0-9a-f]{12}(?:[-.].*)?|.*\.(?:ld|log|xml|cfg|bin)", re.IGNORECASE)
    override_key = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+")
    override_example = "up.backlight.idleIntensity"
    models = {
        m.name: m
        for m in (
            Model("VVX250", lines=4, keys=4),
            Model("VVX350", lines=6, keys=6),
            Model("VVX450", lines=12, keys=12),
            Model("EdgeE350", lines=8, keys=8),
            Model("EdgeE450", lines=12, keys=12),
        )
    }
    base = {
        "tcpIpApp.sntp.daylightSavings.enable": "0",
        "tcpIpApp.sntp.resyncPeriod": "86400",
        "prov.polling.enabled": "1",
        "prov.polling.mode": "rel",
    }

    def model_name(self, raw: str) -> str:
        return raw.replace("_", "")  # "VVX_450" -> "VVX450"

    def classify(self, filename: str) -> PhoneFile | None:
        if filename == MASTER_FILE:
            return PhoneFile(FileRole.SHARED)
        return super().classify(filename)

    def pairing_file(self, mac: str) -> str:
        return f"{mac}-phone.cfg"

    def shared(self, filename: str) -> bytes | None:
        if filename != MASTER_FILE:
            return None
        directories = (
            "LOG_FILE",
            "OVERRIDES",
            "CONTACTS",
            "LICENSE",
            "USER_PROFILES",
            "CALL_LISTS",
            "COREFILE",
        )
        attributes = {
            "APP_FILE_PATH": "sip.ld",
            "CONFIG_FILES": "[PHONE_MAC_ADDRESS]-phone.cfg",
            "MISC_FILES": "",
        }
        attributes |= {f"{d}_DIRECTORY": "" for d in directories}
        return xml_bytes(ET.Element("APPLICATION", attributes))

    def source_settings(self, source: ProvisioningSource) -> Settings:
        return {
            "device.set": "1",
            "device.prov.serverType": _SERVER_TYPE[source.secure],
            "device.prov.serverType.set": "1",
            "device.prov.serverName": source.host_and_path,
            "device.prov.serverName.set": "1",
        }

    def documents(self, config: PhoneConfig) -> dict[str, Settings]:
        locale, pbx = config.locale, config.pbx
        phone: Settings = {
            "tcpIpApp.sntp.address": locale.ntp_server,
            "tcpIpApp.sntp.gmtOffset": str(locale.utc_offset_minutes * 60),
            "lcl.ml.lang": self.language(locale.language),
            **self.source_settings(config.source),
            "prov.polling.period": str(config.source.check_seconds),
            "device.auth.localAdminPassword": config.admin_password,
            "device.auth.localAdminPassword.set": "1",
            "sec.srtp.enable": "0" if pbx.srtp == "off" else "1",
            "sec.srtp.offer": "0" if pbx.srtp == "off" else "1",
            "sec.srtp.require": "1" if pbx.srtp == "mandatory" else "0",
        }
        for line in config.lines:
            r = f"reg.{line.position}"
            phone |= {
                f"{r}.address": line.username,
                f"{r}.auth.userId": line.username,
                f"{r}.auth.password": line.password,
                f"{r}.displayName": line.display_name,
                f"{r}.label": line.extension or line.username,
                f"{r}.server.1.address": line.domain,
                f"{r}.server.1.port": str(pbx.port),
                f"{r}.server.1.transport": _TRANSPORT[pbx.transport],
                f"{r}.server.1.expires": str(pbx.register_expires),
                f"{r}.outboundProxy.address": pbx.host,
                f"{r}.outboundProxy.port": str(pbx.port),
                f"{r}.outboundProxy.transport": _TRANSPORT[pbx.transport],
            }
        if config.blf_keys:
            phone["attendant.reg"] = "1"
        for number, key in enumerate(config.blf_keys, start=1):
            a = f"attendant.resourceList.{number}"
            phone |= {f"{a}.address": key.uri, f"{a}.label": key.label, f"{a}.type": "normal"}
        return self.single_file(config, phone)

    def serialize(self, settings: Settings, *, mac: str) -> bytes:
        # Poly reads every attribute of every element; grouping by the first name part only helps people.
        groups: dict[str, dict[str, str]] = defaultdict(dict)
        for key, value in settings.items():
            groups[key.split(".", 1)[0]][key] = value
        root = ET.Element("polycomConfig")
        for group, attributes in groups.items():
            ET.SubElement(root, group, attributes)
        return xml_bytes(root)
