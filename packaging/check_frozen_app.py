"""Prove a frozen build works: it starts offscreen, logs in to the demo server, registers and places a call
whose audio is checked by its tone, through the app's own ``--self-test`` (ui/selftest.py).

    .venv/bin/python packaging/check_frozen_app.py [dist/Softphone] [--deb dist/softphone_*.deb]

The server and the callee (``softphone-cli`` as 102, answering with 440 Hz) run from this checkout; only the
app under test is the frozen one. With ``--deb`` the package's layout is checked too (binary, .desktop entry
with the tel:/sip: handlers, icons). Exit code 0 when everything passed; tests/ui/test_ui_frozen_build.py runs
it in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from softphone.testing import DemoServer  # noqa: E402

HANDLERS = ("x-scheme-handler/tel", "x-scheme-handler/sip", "x-scheme-handler/callto")


def self_test(app: Path, work: Path, calls: int = 1) -> list[dict[str, object]]:
    server = DemoServer(work / "server", media=False)
    server.start()
    try:
        agent = server.agent("102", "--wait", "--auto-answer", "0.3", "--tone", "440")
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
            env.update(QT_QPA_PLATFORM="offscreen", SOFTPHONE_NULL_AUDIO="1")
            r = subprocess.run(
                [
                    str(app), "--profile", str(work / "profile"), "--server", server.url, "--language", "vi",
                    "--self-test", "--login", "0901000101", "--password", "agent101",
                    "--test-call", "102", "--expect-hz", "440", "--calls", str(calls),
                ],
                env=env, capture_output=True, text=True, timeout=120,
            )
        finally:
            agent.quit()
            agent.kill()
    finally:
        server.stop()
    steps = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    if r.returncode != 0 or not steps or not steps[-1].get("ok"):
        raise SystemExit(f"frozen app self-test failed (exit {r.returncode}): {steps}\n{r.stderr[-3000:]}")
    return steps


def keyring_helper(app: Path) -> dict[str, object]:
    """The frozen app's ``--keyring-helper`` mode (softphone.secrets.KeyringProcess) answers a JSON request
    without starting the GUI: an error naming the missing keyring here (no Secret Service), else a value."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "DBUS_"))}
    r = subprocess.run(
        [str(app), "--keyring-helper", "softphone-check"], input='{"op": "get", "key": "probe"}\n',
        env=env, capture_output=True, text=True, timeout=60,
    )
    lines = [line for line in r.stdout.splitlines() if line.startswith("{")]
    if r.returncode != 0 or len(lines) != 1:
        out = r.stdout[-500:] + r.stderr[-2000:]
        raise SystemExit(f"--keyring-helper did not answer (exit {r.returncode}): {out}")
    answer: dict[str, object] = json.loads(lines[0])
    return answer


def check_deb(deb: Path) -> list[str]:
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    wanted = (
        "./opt/softphone/softphone", "./usr/bin/softphone", "./usr/share/applications/softphone.desktop",
        "./usr/share/icons/hicolor/256x256/apps/softphone.png",
    )
    missing = [w for w in wanted if w not in listing]
    if missing:
        raise SystemExit(f"{deb.name} lacks {missing}")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["dpkg-deb", "-x", str(deb), tmp], check=True)
        entry = (Path(tmp) / "usr/share/applications/softphone.desktop").read_text()
        info = subprocess.run(["dpkg-deb", "-I", str(deb)], capture_output=True, text=True, check=True).stdout
    if not all(h in entry for h in HANDLERS) or "Exec=softphone %u" not in entry:
        raise SystemExit(f"the .desktop entry does not handle {HANDLERS} links:\n{entry}")
    if "Depends:" not in info or "libportaudio2" not in info:
        raise SystemExit(f"package control lacks its dependencies:\n{info}")
    return [line.split()[-1] for line in listing.splitlines() if line.split()[-1] in wanted]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("app_dir", nargs="?", type=Path, default=ROOT / "dist" / "Softphone")
    ap.add_argument("--deb", type=Path, help="also check this .deb")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="frozen-check-") as tmp:
        steps = self_test(args.app_dir / "softphone", Path(tmp))
    for s in steps:
        print(json.dumps(s))
    print("keyring helper answered:", json.dumps(keyring_helper(args.app_dir / "softphone"))[:200])
    if args.deb:
        print("package contents ok:", ", ".join(check_deb(args.deb)))
    print("frozen app: started, logged in, registered, called 102 and heard its tone")
    return 0


if __name__ == "__main__":
    sys.exit(main())
