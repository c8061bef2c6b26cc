"""A factory-fresh desk phone of each vendor, as far as HTTP provisioning goes: the files it asks for, in its
order, with its User-Agent, following the bootstrap to its token URL.  Every exchange is kept (the wire view).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from vendor_formats import PARSERS, Settings, parse_poly_master, provisioning_url

MODELS = {
    "yealink": "T54W",
    "grandstream": "GXP2170",
    "poly": "VVX450",
    "snom": "D785",
    "cisco": "CP-8841-3PCC",
}
YEALINK_HARDWARE = {"T54W": "96", "T53W": "95", "T57W": "97", "T46U": "108", "T48U": "108", "T33G": "124"}


def colons(mac: str) -> str:
    return ":".join(mac[i : i + 2] for i in range(0, 12, 2))


def user_agent(vendor: str, mac: str, model: str | None = None) -> str:
    """What the vendor's phones send (firmware versions as seen in the field)."""
    model = model or MODELS[vendor]
    if vendor == "yealink":
        return f"Yealink SIP-{model} 96.86.0.70 {colons(mac)}"
    if vendor == "grandstream":
        return f"Grandstream Model HW {model} SW 1.0.11.79 DevId {mac}"
    if vendor == "poly":
        return f"FileTransport PolycomVVX-{model[:3]}_{model[3:]}-UA/6.4.3.5018 Type/Application"
    if vendor == "snom":
        build = "2010.12-00004-g9ba52f5"
        return f"Mozilla/4.0 (compatible; snom{model}-SIP 10.1.159.12 {build} {mac.upper()} SXM:0 UXM:0)"
    if vendor == "cisco":
        return f"Cisco-{model}/12.0.1 ({mac})"
    raise AssertionError(vendor)


@dataclass
class Exchange:
    url: str
    user_agent: str
    status: int
    body: str
    scheme: str = "http"

    def wire(self, limit: int = 14) -> str:
        """The exchange as it appears on the wire, the body cut to `limit` lines."""
        path = self.url.split("://", 1)[-1].partition("/")[2]
        lines = self.body.splitlines()
        shown = "\n".join(lines[:limit]) + (
            f"\n... ({len(lines) - limit} more lines)" if len(lines) > limit else ""
        )
        return f"GET /{path} HTTP/1.1\nUser-Agent: {self.user_agent}\n-> {self.status}\n{shown}".rstrip()


@dataclass
class Boot:
    vendor: str
    mac: str
    exchanges: list[Exchange] = field(default_factory=list)
    bootstrap: Settings | None = None
    token_url: str | None = None
    settings: Settings = field(default_factory=dict)  # everything the token URL's files said, merged in order

    @property
    def paired(self) -> bool:
        return self.bootstrap is not None


class DeskPhoneSim:
    def __init__(self, client: httpx.AsyncClient, base: str, vendor: str, mac: str, model: str | None = None):
        self.client = client
        self.base = base.rstrip("/") + "/"  # the provisioning URL the phone got from DHCP option 66 or RPS
        self.vendor = vendor
        self.mac = mac
        self.model = model or MODELS[vendor]
        self.user_agent = user_agent(vendor, mac, self.model)

    async def get(self, boot: Boot, url: str) -> httpx.Response:
        r = await self.client.get(url, headers={"User-Agent": self.user_agent})
        boot.exchanges.append(Exchange(url, self.user_agent, r.status_code, r.text))
        return r

    def _yealink_common(self) -> str:
        return f"y{YEALINK_HARDWARE[self.model].zfill(12)}.cfg"

    def _mac_files(self) -> list[str]:
        mac = self.mac
        if self.vendor == "yealink":
            return [self._yealink_common(), f"{mac}.cfg"]
        return {
            "grandstream": [f"cfg{mac}.xml"],
            "poly": [f"{mac}.cfg", "000000000000.cfg"],
            "snom": [f"{mac.upper()}.xml"],
            "cisco": [f"{mac}.xml"],
        }[self.vendor]

    async def boot(self) -> Boot:
        """Power on: the by-MAC requests; if one answers with a bootstrap, fetch the token URL's files."""
        boot = Boot(self.vendor, self.mac)
        parse = PARSERS[self.vendor]
        pending = self._mac_files()
        while pending:
            name = pending.pop(0)
            r = await self.get(boot, self.base + name)
            if r.status_code != 200:
                continue
            if self.vendor == "poly" and name == "000000000000.cfg":
                pending += self._poly_files(r.text)
                continue
            boot.bootstrap = parse(r.text)
            break
        if boot.bootstrap is None:
            return boot
        boot.token_url = provisioning_url(self.vendor, boot.bootstrap, self.mac)
        await self.refetch(boot)
        return boot

    async def refetch(self, boot: Boot) -> None:
        """A later provisioning cycle from the token URL (the phone's periodic check)."""
        assert boot.token_url is not None
        parse = PARSERS[self.vendor]
        url = boot.token_url
        if self.vendor in ("snom", "cisco"):  # the URL names the file itself
            urls = [url]
        elif self.vendor == "yealink":
            urls = [url + self._yealink_common(), url + f"{self.mac}.cfg"]
        elif self.vendor == "grandstream":
            urls = [url + f"cfg{self.mac}.xml"]
        else:
            urls = [url + f"{self.mac}.cfg", url + "000000000000.cfg"]
        settings: Settings = {}
        while urls:
            target = urls.pop(0)
            r = await self.get(boot, target)
            if r.status_code != 200:
                continue
            if target.endswith("/000000000000.cfg"):
                urls += [url + name for name in self._poly_files(r.text)]
                continue
            settings.update(parse(r.text))
        boot.settings = settings

    def _poly_files(self, master: str) -> list[str]:
        files = parse_poly_master(master)["CONFIG_FILES"]
        return [f.strip().replace("[PHONE_MAC_ADDRESS]", self.mac) for f in files.split(",") if f.strip()]
