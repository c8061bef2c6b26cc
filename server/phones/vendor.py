"""What every desk-phone vendor module provides, and the layering its files are rendered with.

A vendor module knows three things: the file names its phones ask for (and which of them carry a MAC), what
its User-Agent looks like, and how vendor-neutral values (`server.phones.values`) become its keys and format.
A file is a flat mapping of vendor keys to values built in layers, later layers winning:

    vendor base  ->  model  ->  this phone's values (locale, lines, keys, ...)  ->  this phone's overrides

and is serialised only when a phone asks for it; nothing is written to disk.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from server.phones.values import Bootstrap, PhoneConfig, ProvisioningSource

MAC = re.compile(r"[0-9a-f]{12}")
_MAC_ANY = re.compile(r"[0-9A-Fa-f]{2}(?:[:\-]?[0-9A-Fa-f]{2}){5}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Settings = dict[str, str]


def normalize_mac(text: str) -> str | None:
    """ "00:15:65:00:01:03", "00-15-65-00-01-03", "001565000103" -> "001565000103"; None if not a MAC."""
    text = text.strip()
    if not _MAC_ANY.fullmatch(text):
        return None
    mac = re.sub(r"[:\-]", "", text).lower()
    return mac if mac != "000000000000" else None


def format_mac(mac: str) -> str:
    """ "001565000103" -> "00:15:65:00:01:03" (how admins read it off the label)."""
    return ":".join(mac[i : i + 2] for i in range(0, 12, 2))


def layered(*layers: Mapping[str, str]) -> Settings:
    """The layers merged left to right: a key in a later layer replaces the earlier value in place."""
    merged: Settings = {}
    for layer in layers:
        merged.update(layer)
    return merged


def xml_bytes(root: ET.Element) -> bytes:
    """An XML file as phones expect it: UTF-8 with a declaration, one element per line."""
    ET.indent(root, space="  ")
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode() + b"\n"
    )


def clean_value(value: str) -> bool:
    """Whether a value can go into any vendor's file unchanged (no line breaks or control characters)."""
    return not _CONTROL.search(value)


class FileRole(Enum):
    """What a file name asked for without a token means."""

    PAIRING = "pairing"  # names the phone by MAC: the bootstrap, inside the pairing window only
    SHARED = "shared"  # the same bytes for every phone of the vendor, no secrets (Poly's master file)
    KNOWN = "known"  # a file the vendor's phones ask for that is never served by MAC (a quiet 404)


@dataclass(frozen=True, slots=True)
class PhoneFile:
    role: FileRole
    mac: str | None = None  # the MAC the file name carries, if any


@dataclass(frozen=True, slots=True)
class UserAgentInfo:
    """What a provisioning User-Agent says about the phone."""

    vendor: str
    model: str
    firmware: str
    mac: str | None = None  # only some vendors put it there


@dataclass(frozen=True, slots=True)
class Model:
    name: str
    lines: int  # SIP accounts the phone has
    keys: int  # programmable keys; where the vendor puts lines on keys, lines take the first ones
    params: Mapping[str, str] = field(default_factory=dict)  # the model layer
    hardware_id: str = ""  # vendor's own model number where file names use it (Yealink's common file)


class Vendor(ABC):
    """One phone vendor.  Subclasses are stateless; `server.phones.catalog` holds one of each."""

    name: str  # "yealink", as stored
    label: str  # "Yealink", as shown
    media_type: str
    models: Mapping[str, Model]
    languages: Mapping[str, str]  # ISO 639-1 -> the vendor's value; always has "en"
    user_agent_pattern: re.Pattern[str]  # named groups: model, firmware and (where the vendor sends it) mac
    pairing_pattern: re.Pattern[str]  # the by-MAC file name that pairs; group 1 is the MAC
    known_pattern: re.Pattern[str]  # other file names its phones ask for, never served by MAC
    override_key: re.Pattern[str]  # what a per-phone override key must look like
    override_example: str
    lines_take_keys: bool = False  # lines occupy the first programmable keys (Yealink, Cisco)
    base: Mapping[str, str] = {}  # the vendor layer

    def model(self, name: str) -> Model | None:
        return self.models.get(name)

    def blf_capacity(self, model: Model, lines: int) -> int:
        """How many BLF keys fit next to `lines` lines."""
        return max(0, model.keys - (lines if self.lines_take_keys else 0))

    def language(self, code: str) -> str:
        return self.languages.get(code, self.languages["en"])

    def identify(self, user_agent: str) -> UserAgentInfo | None:
        """The phone behind a User-Agent, if it is one of this vendor's."""
        m = self.user_agent_pattern.search(user_agent.strip())
        if m is None:
            return None
        raw_mac = m.groupdict().get("mac")
        mac = normalize_mac(raw_mac) if raw_mac else None
        return UserAgentInfo(self.name, self.model_name(m["model"]), m["firmware"], mac)

    def model_name(self, raw: str) -> str:
        """A model as the User-Agent spells it, as the catalog does."""
        return raw.upper()

    def classify(self, filename: str) -> PhoneFile | None:
        """The role of a file name this vendor's phones ask for (None: not one of theirs)."""
        if (m := self.pairing_pattern.fullmatch(filename)) and (mac := normalize_mac(m[1])):
            return PhoneFile(FileRole.PAIRING, mac)
        if self.known_pattern.fullmatch(filename):
            return PhoneFile(FileRole.KNOWN)
        return None

    @abstractmethod
    def pairing_file(self, mac: str) -> str:
        """The by-MAC file name whose first fetch pairs the phone (for admins and docs)."""

    @abstractmethod
    def source_settings(self, source: ProvisioningSource) -> Settings:
        """The settings that point the phone at `source` (its token URL) and set how often it checks."""

    def bootstrap(self, bootstrap: Bootstrap) -> bytes:
        """The answer to the pairing request: where the phone's token URL is, and nothing secret."""
        return self.serialize(self.source_settings(bootstrap.source), mac=bootstrap.mac)

    @abstractmethod
    def documents(self, config: PhoneConfig) -> dict[str, Settings]:
        """The files the phone's token URL serves, by file name, as layered settings."""

    def single_file(self, config: PhoneConfig, phone: Settings) -> dict[str, Settings]:
        """`documents` for vendors with one file per phone: base, model, `phone`, overrides."""
        model = self.models[config.model]
        return {self.pairing_file(config.mac): layered(self.base, model.params, phone, config.overrides)}

    @abstractmethod
    def serialize(self, settings: Settings, *, mac: str) -> bytes:
        """Settings in the vendor's file format (`mac`: for formats that name the phone inside)."""

    def shared(self, filename: str) -> bytes | None:
        """A `SHARED` file's bytes (None for vendors without one)."""
        return None

    def render(self, filename: str, config: PhoneConfig) -> bytes | None:
        """The file `filename` of this phone, or None if its token URL does not serve that name."""
        if (shared := self.shared(filename)) is not None:
            return shared
        settings = self.documents(config).get(self.canonical(filename))
        return None if settings is None else self.serialize(settings, mac=config.mac)

    def canonical(self, filename: str) -> str:
        """How `documents` spells a requested file name (phones differ in the case of the MAC)."""
        return filename.lower()
