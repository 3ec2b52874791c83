# t_zlib_api.py: Python's zlib API on inputs large enough for the device
# (the suites' are mostly below libwd_zlib's 8 KiB threshold), for
# t_zlib_python: run once without and once with libwd_zlib preloaded, each
# case prints one line "name: result" of what a program can see (data by
# its SHA-256, flags, exception types and zlib's codes; compressed bytes
# only by what they decompress to: the device's deflate bytes are not
# zlib's). The two runs must print the same lines. A line starting with
# "info " is for the log only (zlib's messages, which say less on the
# device). Usage: python3 t_zlib_api.py [CASE...]
import hashlib
import os
import sys
import threading
import zlib


def h(b):
    return hashlib.sha256(b).hexdigest()[:16]


def text(n, seed=1):
    # deterministic text-like bytes, about 3:1 with zlib -6
    words = [b"deflate", b"inflate", b"stream", b"window", b"queue", b"device",
             b"the", b"of", b"buffer", b"flush", b"header", b"level", b"block"]
    x, out = seed, bytearray()
    while len(out) < n:
        x = (x * 1103515245 + 12345) & 0x7fffffff
        out += b"%d %s %s\n" % (x % 1000, words[x % 13], words[(x >> 8) % 13])
    return bytes(out[:n])


DATA = text(1 << 20)
COMP = zlib.compress(DATA, 6)
CASES = {}


def case(f):
    CASES[f.__name__] = f
    return f


def err(e):
    # "Error -3 while decompressing data: ..." -> the code only
    s = str(e)
    return "%s %s" % (type(e).__name__, s.split(" while")[0] if s.startswith("Error") else s)


@case
def decompressobj_copy():
    # zlib's inflateCopy after the first 20 KB (a device stream)
    d = zlib.decompressobj()
    a = d.decompress(COMP[:20000])
    c = d.copy()
    b1 = d.decompress(COMP[20000:]) + d.flush()
    b2 = c.decompress(COMP[20000:]) + c.flush()
    return "%s %s %s" % (h(a + b1), h(a + b2), c.eof)


@case
def decompressobj_copy_late():
    # the same after 300 KB of input (the library replays at most 64 KiB)
    d = zlib.decompressobj()
    a = d.decompress(COMP[:300000])
    c = d.copy()
    b1 = d.decompress(COMP[300000:]) + d.flush()
    b2 = c.decompress(COMP[300000:]) + c.flush()
    return "%s %s %s" % (h(a + b1), h(a + b2), c.eof)


@case
def compressobj_copy():
    co = zlib.compressobj(6)
    a = co.compress(DATA[:300000])
    cc = co.copy()
    b = cc.compress(DATA[300000:]) + cc.flush()
    c = co.compress(DATA[300000:600000]) + co.flush()
    return "%s %s" % (h(zlib.decompress(a + b)), h(zlib.decompress(a + c)))


@case
def max_length():
    d = zlib.decompressobj()
    out, buf, n = [], COMP, 0
    while not d.eof and n < 10000:
        out.append(d.decompress(buf, 10000))
        buf = d.unconsumed_tail
        n += 1
    return "%s calls %d eof %s tail %d" % (h(b"".join(out)), n, d.eof, len(d.unconsumed_tail))


@case
def unused_data():
    d = zlib.decompressobj()
    out = d.decompress(COMP + b"trailing bytes") + d.flush()
    return "%s eof %s unused %r" % (h(out), d.eof, d.unused_data)


@case
def zdict():
    zd = DATA[500000:540000]
    co = zlib.compressobj(6, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, zd)
    c = co.compress(DATA) + co.flush()
    d = zlib.decompressobj(zdict=zd)
    try:
        zlib.decompress(c)
        nodict = "no error"
    except zlib.error as e:
        nodict = err(e)
    return "%s without: %s" % (h(d.decompress(c) + d.flush()), nodict)


@case
def raw_zdict():
    zd = DATA[:32768]
    co = zlib.compressobj(6, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, zd)
    c = co.compress(DATA) + co.flush()
    d = zlib.decompressobj(-15, zdict=zd)
    return h(d.decompress(c) + d.flush())


@case
def wbits():
    res = []
    for cw, dws in ((15, (15, 0, 47)), (31, (31, 47)), (-15, (-15,)), (9, (9, 15, 0)),
                    (12, (12, 15)), (25, (25, 31, 47)), (-9, (-9, -15))):
        co = zlib.compressobj(6, zlib.DEFLATED, cw)
        c = co.compress(DATA) + co.flush()
        for dw in dws:
            d = zlib.decompressobj(dw)
            res.append("%d/%d %s" % (cw, dw, h(d.decompress(c) + d.flush())))
    return "; ".join(res)


@case
def flushes():
    # everything before a sync or full flush decompresses without the rest
    co = zlib.compressobj(6)
    p1 = co.compress(DATA[:200000]) + co.flush(zlib.Z_SYNC_FLUSH)
    p2 = co.compress(DATA[200000:400000]) + co.flush(zlib.Z_FULL_FLUSH)
    p3 = co.compress(DATA[400000:]) + co.flush(zlib.Z_FINISH)
    d = zlib.decompressobj()
    a = d.decompress(p1)
    b = d.decompress(p2)
    c = d.decompress(p3) + d.flush()
    # after the full flush, a new decompressor starts there (raw)
    co2 = zlib.compressobj(6, zlib.DEFLATED, -15)
    q1 = co2.compress(DATA[:100000]) + co2.flush(zlib.Z_FULL_FLUSH)
    q2 = co2.compress(DATA[100000:300000]) + co2.flush()
    d2 = zlib.decompressobj(-15)
    r = d2.decompress(q2) + d2.flush()
    return "%s %s %s %s" % (a == DATA[:200000], b == DATA[200000:400000], h(a + b + c), h(r))


@case
def levels_strategies():
    res = []
    for lv in (0, 1, 6, 9, -1):
        for st in (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_HUFFMAN_ONLY, zlib.Z_RLE, zlib.Z_FIXED):
            co = zlib.compressobj(lv, zlib.DEFLATED, 15, 9, st)
            res.append(h(zlib.decompress(co.compress(DATA[:300000]) + co.flush())))
    return " ".join(sorted(set(res)))


@case
def corrupt():
    res = []
    for off in (5000, len(COMP) // 2, len(COMP) - 2):
        bad = bytearray(COMP)
        bad[off] ^= 0xff
        try:
            out = zlib.decompress(bytes(bad))
            res.append("no error %d" % len(out))
        except zlib.error as e:
            res.append(err(e))
            print("info corrupt at %d: %s" % (off, e))
    return "; ".join(res)


@case
def truncated():
    d = zlib.decompressobj()
    out = d.decompress(COMP[:-10])
    try:
        zlib.decompress(COMP[:-10])
        e1 = "no error"
    except zlib.error as e:
        e1 = err(e)
    return "partial %s eof %s; one-shot %s" % (out == DATA[:len(out)], d.eof, e1)


@case
def small_pieces():
    # a device stream fed 1 byte at a time for a while, then the rest
    d = zlib.decompressobj()
    out = [d.decompress(COMP[:16384])]
    for i in range(16384, 18384):
        out.append(d.decompress(COMP[i:i + 1]))
    out.append(d.decompress(COMP[18384:]) + d.flush())
    co = zlib.compressobj(6)
    parts = [co.compress(DATA[:65536])]
    for i in range(65536, 67536):
        parts.append(co.compress(DATA[i:i + 1]))
    parts.append(co.compress(DATA[67536:]) + co.flush())
    return "%s %s" % (h(b"".join(out)), h(zlib.decompress(b"".join(parts))))


@case
def checksums():
    return "%08x %08x %08x" % (zlib.crc32(DATA), zlib.adler32(DATA), zlib.crc32(DATA[1:], 12345))


@case
def threads():
    res = [None] * 4

    def work(i):
        d = text(700000, seed=i + 2)
        c = zlib.compress(d, 1 + 2 * i)
        res[i] = zlib.decompress(c) == d

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return str(res)


@case
def gzip_module():
    import gzip
    import io
    b = io.BytesIO()
    with gzip.GzipFile(fileobj=b, mode="wb", filename="name.txt", mtime=1234) as f:
        f.write(DATA[:400000])
        f.write(DATA[400000:])
    raw = b.getvalue()
    two = gzip.decompress(raw + gzip.compress(DATA[:100000], mtime=0))
    with gzip.GzipFile(fileobj=io.BytesIO(raw)) as f:
        f.seek(700000)
        tail = f.read()
    return "%s %s %s %s" % (raw[:10].hex(), h(gzip.decompress(raw)), h(two), tail == DATA[700000:])


def forked(n):
    # a stream begun before fork (n bytes in), used in the child; a new one
    # there; the parent's goes on
    if not hasattr(os, "fork"):
        return "no fork"
    d = zlib.decompressobj()
    a = d.decompress(COMP[:n])
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            try:
                b = d.decompress(COMP[n:]) + d.flush()
                old = "ok" if a + b == DATA else "wrong"
            except zlib.error as e:
                old = err(e)
            new = zlib.decompress(zlib.compress(DATA)) == DATA
            os.write(w, ("%s new %s" % (old, new)).encode())
        finally:
            os._exit(0)
    os.close(w)
    got = os.read(r, 1000).decode()
    os.waitpid(pid, 0)
    b = d.decompress(COMP[n:]) + d.flush()
    return "child: %s; parent: %s" % (got, a + b == DATA)


@case
def fork_child():
    return forked(20000)


@case
def fork_child_late():
    return forked(300000)


def forked_deflate(sync):
    # a deflate stream begun before fork (300 KB in; sync: then a sync
    # flush), continued in the child; the parent's goes on
    co = zlib.compressobj(6)
    a = co.compress(DATA[:300000])
    if sync:
        a += co.flush(zlib.Z_SYNC_FLUSH)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            try:
                b = co.compress(DATA[300000:]) + co.flush()
                old = "ok" if zlib.decompress(a + b) == DATA else "wrong"
            except zlib.error as e:
                old = err(e)
            os.write(w, old.encode())
        finally:
            os._exit(0)
    os.close(w)
    got = os.read(r, 1000).decode()
    os.waitpid(pid, 0)
    b = co.compress(DATA[300000:]) + co.flush()
    return "child: %s; parent: %s" % (got, zlib.decompress(a + b) == DATA)


@case
def fork_deflate():
    return forked_deflate(False)


@case
def fork_deflate_sync():
    return forked_deflate(True)


for name in sys.argv[1:] or CASES:
    try:
        res = CASES[name]()
    except Exception as e:  # noqa: BLE001 (what a program would see)
        res = "raised %s: %s" % (type(e).__name__, e)
    print("%s: %s" % (name, res), flush=True)
