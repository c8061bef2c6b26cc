"""Qt-free softphone engine: pjsua2 calls, audio bridge, history, secrets, provisioning client."""
