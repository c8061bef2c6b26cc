"""Build the Linux desktop app: PyInstaller (packaging/softphone.spec) then a .deb.

    .venv/bin/python packaging/build_linux.py      # -> dist/Softphone/ and dist/softphone_<ver>_amd64.deb

The .deb installs the frozen app in /opt/softphone, ``softphone`` on the PATH, a .desktop entry that
registers the app for tel:, sip:, sips: and callto: links (``xdg-open tel:0912345678`` starts or reaches it)
and its icons; ``apt install ./dist/softphone_*.deb`` pulls the few system libraries it needs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "softphone.spec"
DESKTOP = ROOT / "packaging" / "linux" / "softphone.desktop"
ICONS = ROOT / "ui" / "resources" / "icons"
# System libraries the frozen app loads but does not carry (PortAudio, speexdsp via ctypes; Qt's xcb plugin).
DEPENDS = (
    "libportaudio2, libspeexdsp1, libxcb-cursor0, libxkbcommon-x11-0, libxcb-icccm4, libxcb-keysyms1, "
    "libxcb-shape0, libxcb-randr0, libxcb-render-util0, libxcb-image0, libegl1, libfontconfig1, libdbus-1-3"
)
RECOMMENDS = "gnome-keyring | kwalletmanager, pulseaudio | pipewire-pulse, desktop-file-utils"


def version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def freeze(dist: Path, work: Path) -> Path:
    subprocess.run(
        [
            sys.executable, "-m", "PyInstaller", str(SPEC), "--noconfirm", "--log-level", "WARN",
            "--distpath", str(dist), "--workpath", str(work),
        ],
        check=True,
        cwd=ROOT,
    )
    return dist / "Softphone"


def deb(app_dir: Path, out: Path) -> Path:
    """Lay out the package tree and run dpkg-deb."""
    ver = version()
    tree = out / f"softphone_{ver}_amd64"
    shutil.rmtree(tree, ignore_errors=True)
    shutil.copytree(app_dir, tree / "opt" / "softphone", symlinks=True)
    (tree / "usr" / "bin").mkdir(parents=True)
    os.symlink("/opt/softphone/softphone", tree / "usr" / "bin" / "softphone")
    apps = tree / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    shutil.copy(DESKTOP, apps / "softphone.desktop")
    for size_dir, src in (("256x256", ICONS / "app.png"), ("scalable", ICONS / "app.svg")):
        dest = tree / "usr" / "share" / "icons" / "hicolor" / size_dir / "apps"
        dest.mkdir(parents=True)
        shutil.copy(src, dest / f"softphone{src.suffix}")
    control = tree / "DEBIAN"
    control.mkdir()
    size_kb = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file()) // 1024
    (control / "control").write_text(
        "\n".join(
            [
                "Package: softphone",
                f"Version: {ver}",
                "Section: comm",
                "Priority: optional",
                "Architecture: amd64",
                f"Installed-Size: {size_kb}",
                f"Depends: {DEPENDS}",
                f"Recommends: {RECOMMENDS}",
                "Maintainer: Softphone team <support@softphone.invalid>",
                "Description: call-center softphone (Vietnamese and English)",
                " Desktop softphone for call-center agents: log in to the company's PBX, calls, hold,",
                " transfer, conference, recording, chat and presence. Handles tel: and sip: links.",
                "",
            ]
        )
    )
    # Refresh the desktop's handler and icon caches; harmless where the tools are missing.
    for script in ("postinst", "postrm"):
        path = control / script
        path.write_text(
            "#!/bin/sh\nset -e\n"
            "if command -v update-desktop-database >/dev/null; then update-desktop-database -q || true; fi\n"
            "if command -v gtk-update-icon-cache >/dev/null; then "
            "gtk-update-icon-cache -q /usr/share/icons/hicolor || true; fi\n"
        )
        path.chmod(0o755)
    package = out / f"softphone_{ver}_amd64.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zzstd", "-z6", "--build", str(tree), str(package)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shutil.rmtree(tree)
    return package


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dist", type=Path, default=ROOT / "dist")
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    ap.add_argument("--no-deb", action="store_true", help="only the PyInstaller folder")
    args = ap.parse_args()
    app_dir = freeze(args.dist, args.work)
    print(f"frozen app: {app_dir}")
    if not args.no_deb:
        if shutil.which("dpkg-deb") is None:
            print("dpkg-deb not found: no .deb built")
            return 1
        print(f"package: {deb(app_dir, args.dist)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
