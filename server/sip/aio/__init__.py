"""asyncio adapters of the sans-IO SIP core: sockets (UDP/TCP/TLS), the event loop's clock and timers, the
PBX service that drives `server.sip.proxy.Proxy`.  Nothing under `server/sip` outside this folder does I/O."""
