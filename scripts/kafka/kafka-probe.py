#!/usr/bin/env python3
"""Readiness probe for a Kafka broker, speaking the Kafka wire protocol.

    kafka-probe.py [--timeout SECONDS] [--wait SECONDS] [--max-version N] HOST:PORT

Sends ApiVersions (v0, which every broker answers) to learn the Metadata
versions the broker accepts, then one Metadata request for no topics at the
highest version both sides know (4..12; Kafka 4.0 dropped v0-v3, so v4 is the
floor). The broker is "ready" when the reply carries a cluster id and at
least one live broker (a KRaft broker lists itself only once unfenced).

On success prints one line and exits 0:
    cluster_id=<ID> brokers=<N> controller=<ID> metadata_version=<V>
Otherwise prints the reason to stderr and exits 1 (2 for bad usage).
With --wait, retries every 0.25 s until ready or until the wait runs out.

Standard library only, so it runs anywhere python3 does.
"""

import argparse
import socket
import struct
import sys
import time

API_METADATA = 3
API_VERSIONS = 18
METADATA_MIN = 4   # lowest version Kafka 4.x still accepts
METADATA_MAX = 12  # highest version whose request this probe can write
FIRST_FLEXIBLE_METADATA = 9
CLIENT_ID = b"kafka-dr-probe"


class ProbeError(Exception):
    pass


class Reader:
    """Cursor over a response body."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ProbeError("truncated response")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def int8(self):
        return struct.unpack(">b", self.take(1))[0]

    def int16(self):
        return struct.unpack(">h", self.take(2))[0]

    def int32(self):
        return struct.unpack(">i", self.take(4))[0]

    def uvarint(self):
        shift = 0
        value = 0
        while True:
            b = self.take(1)[0]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7
            if shift > 28:
                raise ProbeError("bad varint")

    def string(self, flexible):
        """Nullable string; compact form in flexible versions."""
        if flexible:
            n = self.uvarint() - 1
        else:
            n = self.int16()
        if n < 0:
            return None
        return self.take(n).decode("utf-8", "replace")

    def array_len(self, flexible):
        if flexible:
            return self.uvarint() - 1
        return self.int32()

    def skip_tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()                 # tag
            self.take(self.uvarint())      # size, payload


def uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ProbeError("connection closed by broker")
        buf += chunk
    return bytes(buf)


def call(sock, api_key, version, correlation_id, body, flexible):
    """Send one request and return the response body after the header."""
    header = struct.pack(">hhih", api_key, version, correlation_id,
                         len(CLIENT_ID)) + CLIENT_ID
    if flexible:
        header += uvarint(0)  # request header v2: empty tagged fields
    frame = header + body
    sock.sendall(struct.pack(">i", len(frame)) + frame)
    size = struct.unpack(">i", recv_exact(sock, 4))[0]
    if size < 4 or size > 64 * 1024 * 1024:
        raise ProbeError("implausible response size %d" % size)
    r = Reader(recv_exact(sock, size))
    if r.int32() != correlation_id:
        raise ProbeError("correlation id mismatch")
    if flexible:
        r.skip_tags()  # response header v1
    return r


def metadata_range(sock):
    """ApiVersions v0: returns (min, max) Metadata versions of the broker."""
    r = call(sock, API_VERSIONS, 0, 1, b"", flexible=False)
    error = r.int16()
    if error != 0:
        raise ProbeError("ApiVersions error code %d" % error)
    for _ in range(r.int32()):
        key, lo, hi = r.int16(), r.int16(), r.int16()
        if key == API_METADATA:
            return lo, hi
    raise ProbeError("broker does not list the Metadata API")


def metadata_request(version):
    flexible = version >= FIRST_FLEXIBLE_METADATA
    # topics: an empty (not null) array, so no topic is listed or created.
    body = uvarint(1) if flexible else struct.pack(">i", 0)
    body += b"\x00"                      # allow_auto_topic_creation (v4+)
    if 8 <= version <= 10:
        body += b"\x00"                  # include_cluster_authorized_operations
    if version >= 8:
        body += b"\x00"                  # include_topic_authorized_operations
    if flexible:
        body += uvarint(0)               # tagged fields
    return body, flexible


def probe(host, port, timeout, max_version=METADATA_MAX):
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        lo, hi = metadata_range(sock)
        version = min(hi, max_version)
        if version < max(lo, METADATA_MIN):
            raise ProbeError("no common Metadata version (broker %d..%d, "
                             "probe %d..%d)" % (lo, hi, METADATA_MIN,
                                                METADATA_MAX))
        body, flexible = metadata_request(version)
        r = call(sock, API_METADATA, version, 2, body, flexible)
        r.int32()  # throttle_time_ms
        brokers = []
        for _ in range(r.array_len(flexible)):
            node_id = r.int32()
            r.string(flexible)  # host
            r.int32()           # port
            r.string(flexible)  # rack
            if flexible:
                r.skip_tags()
            brokers.append(node_id)
        cluster_id = r.string(flexible)
        controller = r.int32()
        return cluster_id, brokers, controller, version


def parse_address(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError("expected HOST:PORT, got %r" % text)
    return host.strip("[]"), int(port)


def main():
    ap = argparse.ArgumentParser(
        description="Check that a Kafka broker answers a Metadata request.")
    ap.add_argument("address", help="HOST:PORT of the broker")
    ap.add_argument("--timeout", type=float, default=2.0,
                    help="socket timeout per attempt in seconds (default 2)")
    ap.add_argument("--wait", type=float, default=0.0,
                    help="keep retrying for up to this many seconds")
    ap.add_argument("--max-version", type=int, default=METADATA_MAX,
                    choices=range(METADATA_MIN, METADATA_MAX + 1),
                    metavar="%d..%d" % (METADATA_MIN, METADATA_MAX),
                    help="highest Metadata version to use (default %d)"
                    % METADATA_MAX)
    args = ap.parse_args()
    try:
        host, port = parse_address(args.address)
    except ValueError as e:
        ap.error(str(e))

    deadline = time.monotonic() + args.wait
    while True:
        try:
            cluster_id, brokers, controller, version = probe(
                host, port, args.timeout, args.max_version)
            if cluster_id and brokers:
                print("cluster_id=%s brokers=%d controller=%d "
                      "metadata_version=%d" % (cluster_id, len(brokers),
                                               controller, version))
                return 0
            reason = "not ready: cluster_id=%s brokers=%d" % (
                cluster_id, len(brokers))
        except (OSError, ProbeError) as e:
            reason = "%s:%d: %s" % (host, port, e)
        if time.monotonic() >= deadline:
            print(reason, file=sys.stderr)
            return 1
        time.sleep(0.25)


if __name__ == "__main__":
    sys.exit(main())
