#!/usr/bin/env python3
"""serve_abuse.py PORT_A PORT_B OUTDIR -- hostile clients against two running
`huella serve` instances on loopback (driven by tests/cli/test_serve_abuse.sh).

Server A runs the default caps and timeouts: 10,000 idle connections (from
127.0.0.2-6, under the per-address cap) while /healthz and /v1/decide are
asked from 127.0.0.1, then a burst of event uploads beyond the in-flight cap.
Server B runs short timeouts and small caps (--conn-timeout 2
--request-timeout 4 --max-connections 200 --max-conns-per-ip 50): slowloris
headers and request line, a slow body, a stalled half request, half-closed
and zero-window peers, oversized and truncated bodies, garbage methods,
paths and headers, then the per-address and total connection caps.

On each server a background client posts small event batches the whole time
and sums the events acknowledged with 202; at the end every acknowledged
event must be counted by the service (GET /v1/accounts/{id}) and nothing it
refused may be.  Prints TAP lines ("ok - ..." / "not ok - ..."); writes each
server's final /metrics to OUTDIR/metrics_{a,b}.txt for promtool.

Python standard library only (socket, threading); every wait is bounded.
"""
import json
import os
import re
import select
import socket
import sys
import threading
import time

PORT_A, PORT_B, OUTDIR = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
HOST = "127.0.0.1"
REQ_TIMEOUT_B = 4.0     # --request-timeout of server B
IDLE_TIMEOUT_B = 2.0    # --conn-timeout of server B

_out = threading.Lock()
n_fail = 0


def check(what, cond, detail=""):
    global n_fail
    with _out:
        if cond:
            print("ok - " + what, flush=True)
        else:
            n_fail += 1
            print("not ok - " + what + ("  # " + detail if detail else ""), flush=True)


def note(msg):
    with _out:
        print("# " + msg, flush=True)


def connect(port, src=None, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if src:
        s.bind((src, 0))
    s.settimeout(timeout)
    s.connect((HOST, port))
    return s


def read_response(s, timeout=5.0):
    """(status, headers, body) of one response, or (None, {}, b'') on EOF,
    reset or timeout."""
    end = time.monotonic() + timeout
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            left = end - time.monotonic()
            if left <= 0:
                return None, {}, b""
            s.settimeout(left)
            d = s.recv(65536)
            if not d:
                return None, {}, b""
            buf += d
        head, _, body = buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        m = re.match(rb"HTTP/1\.[01] (\d{3})", lines[0])
        if not m:
            return None, {}, b""
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(b":")
            hdrs[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
        n = int(hdrs.get("content-length", "0") or 0)
        while len(body) < n:
            left = end - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            d = s.recv(65536)
            if not d:
                break
            body += d
        return int(m.group(1)), hdrs, body[:n]
    except (socket.timeout, OSError):
        return None, {}, b""


def one(port, raw, src=None, timeout=5.0):
    """Send raw bytes on a fresh connection, read one answer:
    (status, headers, body, seconds)."""
    t0 = time.monotonic()
    try:
        s = connect(port, src, timeout)
    except OSError:
        return None, {}, b"", time.monotonic() - t0
    try:
        s.sendall(raw)
    except OSError:
        pass
    st, h, b = read_response(s, timeout)
    s.close()
    return st, h, b, time.monotonic() - t0


def get(port, path, src=None, timeout=5.0):
    return one(port, ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode(), src, timeout)


def post(port, path, body, src=None, timeout=5.0, extra=""):
    raw = ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%s"
           "Content-Length: %d\r\n\r\n" % (path, extra, len(body))).encode() + body
    return one(port, raw, src, timeout)


def decide(port, src=None, timeout=5.0):
    return post(port, "/v1/decide", b'{"account_id":"probe-acct","ip":"203.0.113.9"}', src, timeout)


def wait_closed(s, limit):
    """Seconds until the peer closes (EOF or reset), reading and discarding;
    None if still open after `limit` seconds."""
    t0 = time.monotonic()
    while True:
        left = limit - (time.monotonic() - t0)
        if left <= 0:
            return None
        r, _, _ = select.select([s], [], [], left)
        if r:
            try:
                if not s.recv(65536):
                    return time.monotonic() - t0
            except OSError:
                return time.monotonic() - t0


def lines(account, n, tag=0):
    return b"".join(b'{"ts":%d,"account_id":"%s","ip":"10.9.%d.%d","model":"m"}\n'
                    % (1770000000 + tag * 1000 + i, account.encode(), tag % 250, i % 250)
                    for i in range(n))


# ---- the acknowledged-events probe ----------------------------------------------------

class Acker(threading.Thread):
    """Posts 5-line batches for one account on a keep-alive connection
    every 20 ms; sums the events acknowledged with 202."""

    def __init__(self, port, account):
        super().__init__(daemon=True)
        self.port, self.account = port, account
        self.acked = self.sent = self.posts = self.non202 = 0
        self.codes = {}
        self.stop = threading.Event()

    def run(self):
        s = None
        k = 0
        while not self.stop.is_set():
            body = lines(self.account, 5, k)
            k += 1
            try:
                if s is None:
                    s = connect(self.port, timeout=5)
                s.sendall(("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                           % len(body)).encode() + body)
                self.sent += 5
                st, h, b = read_response(s, 10)
            except OSError:
                st, h, b = None, {}, b""
            self.posts += 1
            self.codes[st] = self.codes.get(st, 0) + 1
            if st == 202:
                self.acked += json.loads(b)["accepted"]
            else:
                self.non202 += 1
            if st is None or st != 202 or h.get("connection", "").lower() == "close":
                if s:
                    s.close()
                s = None
            self.stop.wait(0.02)
        if s:
            s.close()


def account_requests(port, account):
    st, _, b, _ = get(port, "/v1/accounts/" + account, timeout=10)
    if st != 200:
        return None
    m = re.search(rb'"requests":(\d+)', b)
    return int(m.group(1)) if m else 0


def wait_caught_up(port, limit=60):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        st, _, b, _ = get(port, "/healthz")
        if st == 200:
            h = json.loads(b)
            if (not h["replaying"] and h["journal_seq"] == h["applied_seq"]
                    and h["journal_seq"] == h["snapshot_seq"]):
                return True
        time.sleep(0.1)
    return False


def metric(port, name_re):
    st, _, b, _ = get(port, "/metrics")
    m = re.search((r"^%s (\d+(?:\.\d+)?)$" % name_re).encode(), b, re.M)
    return float(m.group(1)) if m else None


# ---- server B: slow clients ---------------------------------------------------------------

def trickle(port, first, drip, per=1.0, limit=15.0):
    """Send `first`, then one byte of `drip` every `per` seconds (never idle
    long enough for the idle timeout); seconds until the server closed, or
    None."""
    s = connect(port)
    s.sendall(first)
    t0 = time.monotonic()
    i = 0
    try:
        while time.monotonic() - t0 < limit:
            r, _, _ = select.select([s], [], [], per)
            if r:
                try:
                    d = s.recv(65536)
                except OSError:
                    d = b""
                if not d:
                    return time.monotonic() - t0, i
                continue   # an answer would be a failure too: keep reading until EOF
            try:
                s.send(drip[i % len(drip):i % len(drip) + 1])
            except OSError:
                return time.monotonic() - t0, i
            i += 1
        return None, i
    finally:
        s.close()


def t_slowloris_headers():
    t, sent = trickle(PORT_B, b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b"X-Slow: aaaaaaaa\r\n")
    check("slowloris headers (1 byte/s, never idle): closed by --request-timeout %gs "
          "after %s s, %d bytes" % (REQ_TIMEOUT_B, None if t is None else round(t, 1), sent),
          t is not None and REQ_TIMEOUT_B - 1.0 <= t <= REQ_TIMEOUT_B + 3.0)


def t_slowloris_line():
    t, sent = trickle(PORT_B, b"G", b"ET /healthz/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
    check("slowloris request line (1 byte/s): closed after %s s"
          % (None if t is None else round(t, 1)),
          t is not None and REQ_TIMEOUT_B - 1.0 <= t <= REQ_TIMEOUT_B + 3.0)


def t_slow_body():
    body = lines("slow-body", 40)
    hdr = ("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)).encode()
    t, sent = trickle(PORT_B, hdr, body, per=0.5)
    check("slow body (2 bytes/s of a %d-byte events body): closed after %s s, no answer"
          % (len(body), None if t is None else round(t, 1)),
          t is not None and REQ_TIMEOUT_B - 1.0 <= t <= REQ_TIMEOUT_B + 3.0)


def t_idle_half_request():
    s = connect(PORT_B)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHo")
    t = wait_closed(s, 15)
    s.close()
    check("stalled half request: closed by the idle timeout (%gs) after %s s"
          % (IDLE_TIMEOUT_B, None if t is None else round(t, 1)),
          t is not None and IDLE_TIMEOUT_B - 0.5 <= t <= IDLE_TIMEOUT_B + 3.0)


def t_idle_silent():
    s = connect(PORT_B)
    t = wait_closed(s, 15)
    s.close()
    check("a connection that never sends: closed after %s s"
          % (None if t is None else round(t, 1)), t is not None and t <= IDLE_TIMEOUT_B + 3.0)


def t_half_closed():
    s = connect(PORT_B)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHo")
    s.shutdown(socket.SHUT_WR)
    t = wait_closed(s, 10)
    s.close()
    check("half-closed peer with half a request: closed within the idle timeout (%s s)"
          % (None if t is None else round(t, 2)), t is not None and t <= IDLE_TIMEOUT_B + 1.5)
    s = connect(PORT_B)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    s.shutdown(socket.SHUT_WR)
    t0 = time.monotonic()
    st, _, _ = read_response(s, 10)
    t = wait_closed(s, 10)
    s.close()
    check("half-closed peer after a whole request: answered %s, then closed (%.2f s)"
          % (st, time.monotonic() - t0), st in (200, None) and t is not None)


def t_zero_window():
    """A peer that sends requests and never reads (a half-open peer as seen
    from the server: its writes make no progress).  The idle timeout must
    close it; the answers it did not read are not all delivered."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect((HOST, PORT_B))
    n = 3000
    req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
    s.setblocking(False)
    sent = 0
    data = req * n
    t0 = time.monotonic()
    # push requests until the server stops reading (its writes are stuck)
    while sent < len(data) and time.monotonic() - t0 < 3:
        try:
            sent += s.send(data[sent:sent + 65536])
        except BlockingIOError:
            time.sleep(0.05)
        except OSError:
            break
    time.sleep(IDLE_TIMEOUT_B + 3.0)
    s.setblocking(True)
    got = 0
    t1 = time.monotonic()
    closed = False
    s.settimeout(5)
    try:
        while time.monotonic() - t1 < 5:
            d = s.recv(1 << 20)
            if not d:
                closed = True
                break
            got += d.count(b"HTTP/1.1 200")
    except OSError:
        closed = True
    s.close()
    check("zero-window peer (%d pipelined requests, never reads): closed by the idle "
          "timeout, %d of the answers delivered" % (sent // len(req), got),
          closed and got < sent // len(req))


def t_oversized():
    raw = b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"
    st, h, _, t = one(PORT_B, raw)
    check("events with Content-Length 100 MB and no body sent: 413 in %.3f s" % t,
          st == 413 and t < 1.0, str(st))
    raw = (b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" +
           b"{" * 1000)
    st, h, _, t = one(PORT_B, raw)
    check("decide with Content-Length 1 MB: 413 in %.3f s" % t, st == 413 and t < 1.0, str(st))
    # an undeclared (chunked) body past the cap: cut before it is all read
    s = connect(PORT_B)
    s.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"10000\r\n" + b"\n" * 0x10000 + b"\r\n"
    sent = 0
    t0 = time.monotonic()
    try:
        while sent < 64 << 20 and time.monotonic() - t0 < 10:
            s.sendall(chunk)
            sent += 0x10000
    except OSError:
        pass
    s.close()
    check("chunked events body streamed without end: cut after %.1f MB (cap 8 MB), %.2f s"
          % (sent / 1048576.0, time.monotonic() - t0), sent < 32 << 20)


def t_truncated():
    body = lines("trunc-acct", 30)
    raw = ("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
           % (len(body) * 2)).encode() + body
    s = connect(PORT_B)
    s.sendall(raw)
    s.shutdown(socket.SHUT_WR)
    st, _, _ = read_response(s, 5)
    t = wait_closed(s, 5) if st is None else 0
    s.close()
    check("truncated body (half of Content-Length, then EOF): no answer, closed",
          st is None and t is not None, str(st))
    s = connect(PORT_B)
    s.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
              b"%x\r\n" % len(body) + body + b"\r\n" + b"400\r\n" + body[:100])
    s.shutdown(socket.SHUT_WR)
    st, _, _ = read_response(s, 5)
    s.close()
    check("truncated chunked body (no last chunk, then EOF): no answer", st is None, str(st))
    s = connect(PORT_B)
    s.sendall(("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
               % (len(body) + 10)).encode() + body)
    t = wait_closed(s, 15)
    s.close()
    check("truncated body that then stalls: closed after %s s"
          % (None if t is None else round(t, 1)), t is not None and t <= REQ_TIMEOUT_B + 3.0)


def req_body(path, body):
    return (b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (path, len(body))) + body


GARBAGE = [
    # (what, raw request, acceptable statuses; None = closed without answer)
    ("unknown method BREW on /healthz", b"BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n", {405, 501}),
    ("DELETE on /v1/events", b"DELETE /v1/events HTTP/1.1\r\nHost: x\r\n\r\n", {405}),
    ("PUT on /v1/decide", b"PUT /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", {405}),
    ("method of punctuation", b"G@T{} /healthz HTTP/1.1\r\nHost: x\r\n\r\n", {400, 405, 501, None}),
    ("8 kB method", b"A" * 8192 + b" /healthz HTTP/1.1\r\nHost: x\r\n\r\n", {400, 405, 414, 431, 501, None}),
    ("binary method", b"\x00\x01\x02\xff /healthz HTTP/1.1\r\nHost: x\r\n\r\n", {400, 405, 501, None}),
    ("path /", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", {404}),
    ("path traversal", b"GET /../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", {404}),
    ("path with %00", b"GET /v1/decide%00x HTTP/1.1\r\nHost: x\r\n\r\n", {404, 400}),
    ("path with raw bytes", b"GET /v1/\xff\xfe\x01 HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404, None}),
    ("path of 20 kB", b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", {404, 414, 431, None}),
    ("no path", b"GET HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404, None}),
    ("HTTP/9.9", b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", {400, 505, None}),
    ("HTTP/0.9 request line", b"GET /healthz\r\n\r\n", {400, 505, None}),
    ("not HTTP at all", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64 + b"\r\n\r\n",
     {400, 405, 501, 505, None}),
    ("header line without a colon", b"GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", {400, None}),
    ("NUL in a header value", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", {400, 200, None}),
    ("one 40 kB header", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 40000 + b"\r\n\r\n",
     {400, 413, 431, None}),
    ("3000 headers", b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-H: 1234567890\r\n" * 3000 + b"\r\n",
     {400, 413, 431, None}),
    ("Content-Length not a number", b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}",
     {400, 413, None}),
    ("negative Content-Length", b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}",
     {400, 413, None}),
    ("Content-Length of 30 digits",
     b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999999999999999999999\r\n\r\n",
     {400, 413, None}),
    ("two different Content-Length",
     b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}",
     {400}),
    ("unknown Transfer-Encoding",
     b"POST /v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nxyz", {400, 501}),
    ("bad chunk size", b"POST /v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
     {400, None}),
    ("obsolete line folding", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n folded\r\n\r\n", {200, 400, None}),
    ("Content-Length and Transfer-Encoding together",
     b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\n", {400}),
    ("decide body of invalid UTF-8", req_body(b"/v1/decide", b'{"account_id":"\xff\xfe\x80"}'), {400}),
    ("decide body nested 10,000 deep", req_body(b"/v1/decide", b"[" * 10000 + b"]" * 10000), {400}),
    ("decide body that is a bare string", req_body(b"/v1/decide", b'"x"'), {400}),
    ("events body of NUL bytes only", req_body(b"/v1/events", b"\x00" * 5000), {400}),
]


def t_garbage():
    for what, raw, ok in GARBAGE:
        st, _, _, t = one(PORT_B, raw, timeout=8)
        check("garbage: %s -> %s in %.2f s" % (what, st, t), st in ok and t < 6.0,
              "wanted one of %s" % sorted(ok, key=str))
    st, _, b, _ = get(PORT_B, "/healthz")
    check("after the garbage /healthz still answers 200", st == 200)
    st, _, _, _ = decide(PORT_B)
    check("after the garbage /v1/decide still answers 200", st == 200)


# ---- server B: connection caps ---------------------------------------------------------

def hold(port, srcs, per_src):
    socks = []
    for src in srcs:
        for _ in range(per_src):
            try:
                socks.append(connect(port, src, 5))
            except OSError:
                pass
    return socks


def ask_all(socks, req):
    """Send `req` on every socket, then read one answer from each:
    list of (status, headers, seconds after the send)."""
    t0 = time.monotonic()
    for s in socks:
        try:
            s.sendall(req)
        except OSError:
            pass
    res = []
    for s in socks:
        st, h, _ = read_response(s, 5)
        res.append((st, h, time.monotonic() - t0))
    return res


def t_caps():
    req = b"GET /v1/check HTTP/1.1\r\nHost: x\r\nX-Huella-Account: cap-acct\r\n\r\n"
    # per address: 60 from one address, cap 50
    socks = hold(PORT_B, ["127.0.0.20"], 60)
    time.sleep(0.3)
    res = ask_all(socks, req)
    ok = sum(1 for st, _, _ in res if st == 200)
    shed = [(st, h, t) for st, h, t in res if st == 503]
    check("per-address cap 50: 60 connections from 127.0.0.20 -> %d answered 200, %d got 503"
          % (ok, len(shed)), ok == 50 and len(shed) == 10)
    check("per-address 503s carry Retry-After and came within 1 s",
          shed and all(h.get("retry-after") and t < 1.0 for _, h, t in shed))
    st, _, _, _ = decide(PORT_B, src="127.0.0.21")
    check("another address is not affected by the per-address cap", st == 200, str(st))
    for s in socks:
        s.close()
    time.sleep(0.5)
    # total: 5 addresses x 50 = 250 connections, cap 200
    socks = hold(PORT_B, ["127.0.0.%d" % i for i in range(21, 26)], 50)
    time.sleep(0.3)
    st_h, _, _, t_h = get(PORT_B, "/healthz")
    st_d, h_d, _, t_d = decide(PORT_B)
    res = ask_all(socks, req)
    ok = sum(1 for st, _, _ in res if st == 200)
    shed = [(st, h, t) for st, h, t in res if st == 503]
    other = [st for st, _, _ in res if st not in (200, 503)]
    check("total cap 200: 250 connections from 5 addresses -> %d answered 200, %d got 503, "
          "%d other" % (ok, len(shed), len(other)),
          190 <= ok <= 200 and len(shed) >= 50 and not other)
    check("connection-cap 503s carry Retry-After and came within 1 s",
          shed and all(h.get("retry-after") and t < 1.0 for _, h, t in shed))
    check("at the connection cap /healthz is still answered (200 in %.2f s)" % t_h,
          st_h == 200 and t_h < 2.0, str(st_h))
    check("at the connection cap a new decide is shed quickly (%s in %.2f s, Retry-After %s)"
          % (st_d, t_d, h_d.get("retry-after")), st_d == 503 and t_d < 1.0 and h_d.get("retry-after"))
    for s in socks:
        s.close()
    time.sleep(0.5)
    st, _, _, _ = decide(PORT_B)
    check("after the connections close, decide answers 200 again", st == 200, str(st))


# ---- server A: 10,000 idle connections, a burst of uploads -------------------------------

def t_idle_10k():
    n_src, per = 5, 2000
    t0 = time.monotonic()
    socks = hold(PORT_A, ["127.0.0.%d" % (2 + i) for i in range(n_src)], per)
    t_open = time.monotonic() - t0
    check("%d idle connections opened from %d addresses (%.1f s)" % (len(socks), n_src, t_open),
          len(socks) == n_src * per)
    # the service has accepted them all
    seen = 0
    end = time.monotonic() + 20
    while time.monotonic() < end:
        v = metric(PORT_A, "huella_http_connections")
        seen = int(v or 0)
        if seen >= n_src * per:
            break
        time.sleep(0.2)
    check("the service holds them: huella_http_connections %d" % seen, seen >= n_src * per)
    worst = 0.0
    codes = set()
    for _ in range(5):
        st, _, _, t = get(PORT_A, "/healthz")
        codes.add(st)
        worst = max(worst, t)
        st, _, _, t = decide(PORT_A)
        codes.add(st)
        worst = max(worst, t)
    check("while they are held, /healthz and /v1/decide answer 200 (5 each, slowest %.3f s)"
          % worst, codes == {200} and worst < 2.0, str(codes))
    # they are still open (not shed): one of them can still be used
    st, _, _ = (None, {}, b"")
    try:
        socks[-1].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        st, _, _ = read_response(socks[-1], 5)
    except OSError:
        pass
    check("the last idle connection was admitted, not shed (its request answered %s)" % st, st == 200)
    t0 = time.monotonic()
    for s in socks:
        s.close()
    end = time.monotonic() + 20
    while time.monotonic() < end:
        v = metric(PORT_A, "huella_http_connections")
        if v is not None and v < 50:
            break
        time.sleep(0.2)
    check("after they close the gauge falls back (%s, %.1f s)" % (v, time.monotonic() - t0),
          v is not None and v < 50)


def t_events_burst():
    """100 uploads at once, each holding its body phase for a second; the
    in-flight cap (64) sheds the rest with 503 before reading their body."""
    n = 100
    body = lines("burst-acct", 10)
    half = len(body) // 2
    hdr = ("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)).encode()
    socks = hold(PORT_A, ["127.0.0.30"], n)
    t0 = time.monotonic()
    for s in socks:
        try:
            s.sendall(hdr + body[:half])
        except OSError:
            pass
    # shed ones are answered at once, before their body; admitted ones wait
    # for it (at least n - 64 must be shed: wait up to 5 s for them)
    early = set()
    end = time.monotonic() + 5
    while time.monotonic() < end:
        ready, _, _ = select.select([x for x in socks if x not in early], [], [], 0.2)
        early.update(ready)
        if len(early) >= n - 64 and time.monotonic() - t0 > 0.5:
            break
    time.sleep(1.0)
    for s in socks:
        if s not in early:
            try:
                s.sendall(body[half:])
            except OSError:
                pass
    acked = 0
    codes, shed = {}, []
    for s in socks:
        st, h, b = read_response(s, 30)
        codes[st] = codes.get(st, 0) + 1
        if st == 202:
            acked += json.loads(b)["accepted"]
        elif st == 503:
            shed.append(h)
        s.close()
    n202, n503 = codes.get(202, 0), codes.get(503, 0)
    check("burst of %d uploads: %d answered 503 before sending their body, %d admitted "
          "(cap 64): %s" % (n, len(early), n - len(early), codes),
          len(early) >= n - 64 and n503 >= n - 64 and n202 <= 64 and n202 + n503 == n)
    check("every shed upload got Retry-After", shed and all(h.get("retry-after") for h in shed))
    check("every admitted upload was acknowledged 202 (%d)" % n202,
          n202 == n - n503 and n202 > 0)
    return acked, n * 10


def main():
    ack_a = Acker(PORT_A, "ack-probe-a")
    ack_b = Acker(PORT_B, "ack-probe-b")
    ack_a.start()
    ack_b.start()
    t_start = time.monotonic()

    # server B, slow clients and bad input in parallel
    ts = [threading.Thread(target=f) for f in
          (t_slowloris_headers, t_slowloris_line, t_slow_body, t_idle_half_request, t_idle_silent,
           t_half_closed, t_zero_window, t_oversized, t_truncated, t_garbage)]
    for t in ts:
        t.start()
    # server A meanwhile: 10,000 idle connections, then the burst
    t_idle_10k()
    burst_acked, burst_sent = t_events_burst()
    for t in ts:
        t.join(60)
    t_caps()
    note("abuse phase took %.1f s" % (time.monotonic() - t_start))

    ack_a.stop.set()
    ack_b.stop.set()
    ack_a.join(20)
    ack_b.join(20)
    for name, a in (("A", ack_a), ("B", ack_b)):
        note("server %s acker: %d posts, answers %s, %d events acknowledged"
             % (name, a.posts, a.codes, a.acked))
        check("server %s: events were acknowledged during the abuse (%d)" % (name, a.acked),
              a.acked > 0)
    check("server A caught up with its journal", wait_caught_up(PORT_A))
    check("server B caught up with its journal", wait_caught_up(PORT_B))
    for port, name, a in ((PORT_A, "A", ack_a), (PORT_B, "B", ack_b)):
        got = account_requests(port, a.account)
        check("server %s: every acknowledged event is counted (%s counted, %d acknowledged, "
              "%d sent)" % (name, got, a.acked, a.sent),
              got is not None and a.acked <= got <= a.sent)
    got = account_requests(PORT_A, "burst-acct")
    check("burst: every acknowledged upload is counted, no shed one is (%s counted, %d acknowledged)"
          % (got, burst_acked), got == burst_acked and burst_acked > 0)
    for acct in ("slow-body", "trunc-acct"):
        got = account_requests(PORT_B, acct)
        check("no event of an incomplete upload was kept (%s: %s)" % (acct, got), got == 0, str(got))

    for port, name in ((PORT_A, "a"), (PORT_B, "b")):
        st, _, b, _ = get(port, "/metrics")
        with open(os.path.join(OUTDIR, "metrics_%s.txt" % name), "wb") as f:
            f.write(b)
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
