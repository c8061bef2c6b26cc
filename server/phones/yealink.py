"""Yealink (T3x/T4x/T5x, firmware 8x): `#!version:1.0.0.1` files of `key = value` lines.

A booting phone asks for `y0000000000XX.cfg` (XX: its hardware id, the common file) and then `<mac>.cfg`;
the MAC file loads last and wins.  Its User-Agent carries the MAC:
`Yealink SIP-T54W 96.86.0.70 00:15:65:00:01:03`.
Under the token URL the common file holds the model layer and locale, the MAC file the lines, keys, the web UI
password, the provisioning schedule and the phone's overrides.
"""

from __future__ import annotations

import re

from server.phones.values import PhoneConfig, ProvisioningSource
from server.phones.vendor import Model, Settings, Vendor, layered

_TRANSPORT = {"udp": "0", "tcp": "1", "tls": "2"}
_SRTP = {"off": "0", "optional": "1", "mandatory": "2"}
LINE_KEY, BLF_KEY = "15", "16"


class Yealink(Vendor):
    name = "yealink"
    label = "Yealink"
    media_type = "text/plain; charset=utf-8"
    lines_take_keys = True
    languages = {"en": "English"}  # no Vietnamese in the stock firmware
    user_agent_pattern = re.compile(
        r"^yealink\s+(?:sip[- ](?:vp-)?)?(?P<model>[a-z]+\d+[a-z0-9_]*)\s+(?P<firmware>[\d.]+)"
        r"(?:\s+(?P<mac>[0-9a-f]{2}(?::[0-9a-f]{2}){5}))?\s*$",
        re.IGNORECASE,
    )
    pairing_pattern = re.compile(r"([0-9a-f]{12})\.cfg", re.IGNORECASE)
    known_pattern = re.compile(
        r"y0{9}\d{3}\.(?:cfg|boot)|[0-9a-f]{12}[-.].*|.*\.(?:rom|boot|lang|bin)|\w+_setting\.xml"
        r"|super_search\.xml",
        re.IGNORECASE,
    )
    override_key = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)+")
    override_example = "features.dnd.enable"
    models = {
        m.name: m
        for m in (
            Model("T33G", lines=4, keys=4, hardware_id="124"),
            Model("T46U", lines=16, keys=27, hardware_id="108"),
            Model("T48U", lines=16, keys=29, hardware_id="108"),
            Model("T53W", lines=12, keys=21, hardware_id="95"),
            Model("T54W", lines=16, keys=27, hardware_id="96"),
            Model("T57W", lines=16, keys=29, hardware_id="97"),
            Model("T58W", lines=16, keys=27, hardware_id="150"),
        )
    }
    base = {
        "static.auto_provision.power_on": "1",
        "static.auto_provision.pnp_enable": "0",
        "local_time.summer_time": "0",
        "local_time.date_format": "2",
        "features.caller_name_type_on_dialing": "1",
    }

    def pairing_file(self, mac: str) -> str:
        return f"{mac}.cfg"

    def common_file(self, model: Model) -> str:
        return f"y{model.hardware_id.zfill(12)}.cfg"

    def source_settings(self, source: ProvisioningSource) -> Settings:
        return {
            "static.auto_provision.server.url": source.url,
            "static.auto_provision.repeat.enable": "1",
            "static.auto_provision.repeat.minutes": str(max(1, source.check_seconds // 60)),
        }

    def documents(self, config: PhoneConfig) -> dict[str, Settings]:
        model = self.models[config.model]
        locale = config.locale
        common = {
            "local_time.time_zone": locale.utc_offset_hours,
            "local_time.ntp_server1": locale.ntp_server,
            "lang.gui": self.language(locale.language),
            "lang.wui": self.language(locale.language),
        }
        own: Settings = {**self.source_settings(config.source)}
        own["static.security.user_password"] = f"admin:{config.admin_password}"
        pbx = config.pbx
        for line in config.lines:
            a = f"account.{line.position}"
            own |= {
                f"{a}.enable": "1",
                f"{a}.label": line.extension or line.username,
                f"{a}.display_name": line.display_name,
                f"{a}.auth_name": line.username,
                f"{a}.user_name": line.username,
                f"{a}.password": line.password,
                f"{a}.sip_server.1.address": line.domain,
                f"{a}.sip_server.1.port": str(pbx.port),
                f"{a}.sip_server.1.transport_type": _TRANSPORT[pbx.transport],
                f"{a}.sip_server.1.expires": str(pbx.register_expires),
                f"{a}.outbound_proxy_enable": "1",
                f"{a}.outbound_proxy.1.address": pbx.host,
                f"{a}.outbound_proxy.1.port": str(pbx.port),
                f"{a}.srtp_encryption": _SRTP[pbx.srtp],
                f"linekey.{line.position}.type": LINE_KEY,
                f"linekey.{line.position}.line": str(line.position),
                f"linekey.{line.position}.label": line.extension or line.username,
            }
        for number, key in enumerate(config.blf_keys, start=len(config.lines) + 1):
            own |= {
                f"linekey.{number}.type": BLF_KEY,
                f"linekey.{number}.line": "1",
                f"linekey.{number}.value": key.extension,
                f"linekey.{number}.label": key.label,
            }
        return {
            self.common_file(model): layered(self.base, model.params, common),  # no overrides here
            self.pairing_file(config.mac): layered(own, config.overrides),
        }

    def serialize(self, settings: Settings, *, mac: str) -> bytes:
        lines = ["#!version:1.0.0.1"]
        lines += [f"{key} = {value if value != '' else '%NULL%'}" for key, value in settings.items()]
        return ("\n".join(lines) + "\n").encode()
