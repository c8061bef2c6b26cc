"""A pjsua2 user agent for the core's TLS interop test, run as a subprocess:

    python pjsua_tls_client.py <host> <port> <ca_file>

Registers over TLS (verifying the server certificate against ``ca_file``), calls ``sip:echo@host``, hangs up
once the call is confirmed, and prints one ``RESULT key=value`` line per milestone. Exits 0 on success.
"""

from __future__ import annotations

import sys
import time

import pjsua2 as pj

TIMEOUT = 20.0


class Account(pj.Account):
    def __init__(self) -> None:
        super().__init__()
        self.reg_code = 0

    def onRegState(self, prm: pj.OnRegStateParam) -> None:
        self.reg_code = prm.code


class Call(pj.Call):
    def __init__(self, account: pj.Account) -> None:
        super().__init__(account)
        self.states: list[int] = []

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        self.states.append(self.getInfo().state)


def pump(ep: pj.Endpoint, until: object, timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ep.libHandleEvents(20)
        if until():  # type: ignore[operator]
            return True
    return False


def main() -> int:
    host, port, ca_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.logConfig.level = 1
    cfg.logConfig.consoleLevel = 1
    ep.libInit(cfg)
    ep.audDevManager().setNullDev()
    tcfg = pj.TransportConfig()
    tcfg.port = 0
    tcfg.tlsConfig.CaListFile = ca_file
    tcfg.tlsConfig.verifyServer = True
    ep.transportCreate(pj.PJSIP_TRANSPORT_TLS, tcfg)
    ep.libStart()
    ok = False
    account = Account()
    call: Call | None = None
    try:
        acfg = pj.AccountConfig()
        acfg.idUri = f"sip:core-tls@{host}"
        acfg.regConfig.registrarUri = f"sip:{host}:{port};transport=tls"
        acfg.sipConfig.proxies.append(f"sip:{host}:{port};transport=tls;lr")
        account.create(acfg)
        registered = pump(ep, lambda: account.reg_code != 0)
        print(f"RESULT register={account.reg_code}", flush=True)
        if registered and account.reg_code == 200:
            call = Call(account)
            call.makeCall(f"sip:echo@{host}:{port};transport=tls", pj.CallOpParam(True))
            confirmed = pump(ep, lambda: pj.PJSIP_INV_STATE_CONFIRMED in call.states)
            print(f"RESULT confirmed={int(confirmed)}", flush=True)
            if confirmed:
                prm = pj.CallOpParam()
                call.hangup(prm)
                ended = pump(ep, lambda: pj.PJSIP_INV_STATE_DISCONNECTED in call.states)
                print(f"RESULT disconnected={int(ended)}", flush=True)
                ok = ended
    finally:
        call = None
        account.shutdown()
        pump(ep, lambda: False, 0.3)
        ep.libDestroy()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
