"""Compile the PBX's hot SIP modules to C extensions with mypyc, in place; pure Python stays the fallback.

The sans-IO SIP core (parser, headers, transactions, digest auth, registrar, proxy) is typed Python, and
mypyc turns it into C extensions next to the sources (`server/sip/<module>.cpython-*.so`), which Python
imports in preference to the `.py` files: a digest REGISTER costs ~40% less CPU (bench/bench_pbx.py).
Nothing else changes: same code, same tests; without a C compiler or mypyc the server runs the `.py`
files as before.  `scripts/bootstrap` runs this after installing; `server/sip/__init__.py` refuses to
import extensions older than their sources (run this again after editing one).

Run: ``python -m server.native_build [--force | --clean]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from server.native_check import stale_extensions

SIP_DIR = Path(__file__).resolve().parent / "sip"
# The sans-IO core.  Left out: the asyncio adapters (server/sip/aio), which subclass asyncio's own
# classes, and memory_directory (a test double: benchmarks must not run it compiled).
COMPILED = (
    "address",
    "auth",
    "calls",
    "carriers",
    "cdr",
    "deadlines",
    "dialog",
    "dialogs",
    "directory",
    "element",
    "endpoint",
    "entropy",
    "errors",
    "flood",
    "forking",
    "grammar",
    "headers",
    "journal",
    "message",
    "message_relay",
    "messages",
    "parser",
    "presence",
    "presence_server",
    "proxy",
    "quota",
    "registrar",
    "routing",
    "snapshot",
    "transaction",
    "trunk_registrations",
    "trunks",
    "uri",
)
GROUP = "server.sip.native"  # the shared mypyc runtime becomes server/sip/native__mypyc.*.so


def extensions(directory: Path = SIP_DIR) -> list[Path]:
    """The compiled modules (and the shared runtime) present next to the sources."""
    return sorted(directory.glob("*.cpython-*.so")) + sorted(directory.glob("*.pyd"))


def up_to_date() -> bool:
    built = {e.name.split(".", 1)[0] for e in extensions()}
    return set(COMPILED) <= built and not stale_extensions(str(SIP_DIR))


def clean() -> None:
    for ext in extensions():
        ext.unlink()


def build() -> None:
    """mypyc generates C (module names from the source paths), setuptools compiles it in a scratch
    directory (no pyproject.toml there to re-read), and the extensions are copied next to the sources."""
    from mypyc.build import mypycify
    from setuptools import setup  # type: ignore[import-untyped]

    root = SIP_DIR.parents[1]
    cwd = os.getcwd()
    scratch = Path(tempfile.mkdtemp(prefix="mypyc-build-"))
    try:
        os.chdir(root)
        paths = [str(Path("server") / "sip" / f"{name}.py") for name in COMPILED]
        target = str(scratch / "c")
        modules = mypycify(paths, opt_level="3", multi_file=True, group_name=GROUP, target_dir=target)
        # A dotted group name makes mypyc write the group's C and headers under c/server/sip but look
        # for the headers in c/: tell the compiler.
        for module in modules:
            module.include_dirs = [*module.include_dirs, str(scratch / "c" / "server" / "sip")]
        os.chdir(scratch)
        jobs = str(os.cpu_count() or 1)
        setup(
            name="softphone-sip-native",
            ext_modules=modules,
            script_args=["-q", "build_ext", "--build-lib", "lib", "--build-temp", "tmp", "-j", jobs],
        )
        for built in (scratch / "lib" / "server" / "sip").iterdir():
            shutil.copy2(built, SIP_DIR / built.name)
    finally:
        os.chdir(cwd)
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    parser.add_argument("--clean", action="store_true", help="remove the extensions (back to pure Python)")
    args = parser.parse_args(argv)
    if args.clean:
        clean()
        print("SIP core: pure Python (extensions removed)")
        return 0
    if up_to_date() and not args.force:
        print("SIP core: compiled extensions up to date")
        return 0
    clean()  # never leave a mix of old and new extensions behind
    started = time.monotonic()
    try:
        build()
    except Exception as exc:  # no compiler, no mypyc, a mypyc limitation: the pure-Python core still works
        clean()
        print(f"SIP core: not compiled ({type(exc).__name__}: {exc}); running pure Python", file=sys.stderr)
        return 0
    print(f"SIP core: {len(COMPILED)} modules compiled with mypyc in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
