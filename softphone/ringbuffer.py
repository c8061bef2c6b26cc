"""A small byte ring buffer between two real-time threads (pjmedia's clock and a PortAudio callback).

Each side only copies bytes under a lock held for a few microseconds, so neither callback can stall the
other. The buffer is bounded by ``max_fill``: when the producer runs ahead (the two clocks drift, or the
consumer stopped) the oldest audio is dropped, which keeps latency bounded instead of growing forever.
"""

from __future__ import annotations

import threading


class ByteRing:
    """Single-producer single-consumer byte FIFO with overwrite-oldest on overflow."""

    def __init__(self, capacity: int, max_fill: int | None = None) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self._buf = bytearray(capacity)
        self._capacity = capacity
        self._max_fill = capacity if max_fill is None else min(max_fill, capacity)
        self._read = 0  # absolute byte counters; position = counter % capacity
        self._write = 0
        self._lock = threading.Lock()
        self.overruns = 0  # bytes dropped because the producer ran ahead
        self.underruns = 0  # bytes of silence handed out because the consumer ran ahead

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def max_fill(self) -> int:
        return self._max_fill

    @property
    def read_position(self) -> int:
        """Bytes consumed or dropped since creation: the stream position of the next byte to be read."""
        with self._lock:
            return self._read

    def available(self) -> int:
        with self._lock:
            return self._write - self._read

    def clear(self) -> None:
        with self._lock:
            self._read = self._write

    def trim(self, keep: int) -> int:
        """Drop the oldest bytes so that at most ``keep`` remain (latency control); returns bytes dropped."""
        with self._lock:
            excess = (self._write - self._read) - keep
            if excess <= 0:
                return 0
            self._read += excess
            self.overruns += excess
            return excess

    def _copy_head(self, target: memoryview, take: int) -> None:
        """Copy the oldest ``take`` bytes (no more than held) into ``target``; the caller holds the lock."""
        pos = self._read % self._capacity
        first = min(take, self._capacity - pos)
        target[:first] = self._buf[pos : pos + first]
        if first < take:
            target[first:take] = self._buf[0 : take - first]

    def head_peak(self, n: int) -> int:
        """The largest absolute 16-bit sample among the oldest ``n`` bytes (what would be read next)."""
        with self._lock:
            head = bytearray(min(n, self._write - self._read) & ~1)
            self._copy_head(memoryview(head), len(head))
        if not head:
            return 0
        samples = memoryview(head).cast("h")
        return max(max(samples), -min(samples))

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append ``data``; drops the oldest bytes if the fill would exceed ``max_fill``."""
        n = len(data)
        if n == 0:
            return
        mv = memoryview(data).cast("B")
        if n > self._max_fill:
            mv = mv[n - self._max_fill :]
            self.overruns += n - self._max_fill
            n = self._max_fill
        with self._lock:
            excess = (self._write - self._read) + n - self._max_fill
            if excess > 0:
                self._read += excess
                self.overruns += excess
            pos = self._write % self._capacity
            first = min(n, self._capacity - pos)
            self._buf[pos : pos + first] = mv[:first]
            if first < n:
                self._buf[0 : n - first] = mv[first:]
            self._write += n

    def read(self, n: int) -> bytes:
        """Take ``n`` bytes; missing bytes are zeros (silence) and counted as underruns."""
        out = bytearray(n)
        self.read_into(out)
        return bytes(out)

    def read_into(self, out: bytearray | memoryview) -> int:
        """Fill ``out`` from the FIFO (zero-padding what is missing); returns the real bytes copied."""
        target = memoryview(out).cast("B")
        n = len(target)
        with self._lock:
            take = min(n, self._write - self._read)
            self._copy_head(target, take)
            self._read += take
        if take < n:
            target[take:] = bytes(n - take)
            self.underruns += n - take
        return take


class SlackTrim:
    """Latency control for a :class:`ByteRing` read at a steady pace: drops what it held all along.

    After every read the fill left over is noted; the smallest over a window (about a second of reads) is
    audio that no burst of the producer or consumer needed, only delay. Once per window that much (less
    ``margin``) is dropped, so the FIFO settles at the depth the two clocks' bursts really need: deep enough
    to never starve, no deeper. A starved read restarts the window without dropping anything.

    With ``quiet_peak`` (16-bit PCM), the drop waits for a moment when the audio about to be dropped is
    quieter than that (a pause between words), for at most ``patience`` windows, then drops anyway: cutting
    into speech shifts it in time mid-word, which listeners hear and PESQ punishes; cutting a pause is
    inaudible.

    With ``backoff``, starving again within ``again_windows`` windows of the previous time raises the
    margin by that much (up to ``max_margin``), and each window without starving lowers it again by
    ``backoff / relax_windows``, as a jitter buffer adapts its depth. Without it a loaded machine's bursts
    made a cycle: trimmed down to ``margin``, the next slightly larger burst starved the reader (a gap), the
    refill was trimmed again a second later (a cut), every second or two, each shifting the audio in time.
    Starving once (a stream starting late, a call ending), however many reads in a row, changes nothing: it
    would only add latency.
    """

    def __init__(
        self,
        window_reads: int,
        margin: int = 0,
        *,
        align: int = 2,
        quiet_peak: int | None = None,
        patience: int = 3,
        backoff: int = 0,
        max_margin: int | None = None,
        relax_windows: int = 10,
        again_windows: int = 3,
    ) -> None:
        self._window = max(1, window_reads)
        self._floor = margin
        self.margin = margin
        self._backoff = backoff - backoff % align
        self._max_margin = margin if max_margin is None else max(margin, max_margin)
        self._relax = max(align, (self._backoff // max(1, relax_windows)) // align * align)
        self._recent = max(1, again_windows) * self._window
        self._since_starved = self._recent  # reads since the last starved one
        self._align = align
        self._quiet_peak = quiet_peak
        self._patience = max(1, patience) * self._window
        self._least: int | None = None
        self._reads = 0
        self._pending = 0  # a drop due, waiting for a pause
        self._waited = 0
        self.dropped = 0

    def after_read(self, ring: ByteRing, starved: bool = False) -> None:
        if starved:
            if 0 < self._since_starved < self._recent:  # a new episode soon after the last one
                self.margin = min(self._max_margin, self.margin + self._backoff)
            self._since_starved = 0
            self.restart()
            return
        self._since_starved += 1
        if self._pending:
            self._drop_when_quiet(ring)
            return
        left = ring.available()
        self._least = left if self._least is None else min(self._least, left)
        self._reads += 1
        if self._reads < self._window:
            return
        excess = self._least - self.margin
        excess -= excess % self._align
        if self.margin > self._floor:  # a whole window without starving: relax towards the floor
            self.margin = max(self._floor, self.margin - self._relax)
        self.restart()
        if excess > 0:  # set after restart(), which forgets pending drops
            self._pending = excess
            self._drop_when_quiet(ring)

    def _drop_when_quiet(self, ring: ByteRing) -> None:
        excess = min(self._pending, ring.available() - self.margin)
        excess -= excess % self._align
        if excess <= 0:
            self._pending = self._waited = 0
            return
        quiet = self._quiet_peak is None or ring.head_peak(excess) < self._quiet_peak
        if quiet or self._waited >= self._patience:
            self.dropped += ring.trim(ring.available() - excess)
            self._pending = self._waited = 0
        else:
            self._waited += 1

    def restart(self) -> None:
        """Start a new window; a drop waiting for a pause is forgotten (a starved read: nothing to spare)."""
        self._least = None
        self._reads = 0
        self._pending = self._waited = 0
