"""One plain DNS question to one server (RFC 1035 4), without dnspython's message objects.

The propagation poll and the zone lookup ask simple questions (TXT, CNAME,
SOA of one name, no TSIG, no EDNS) and read one section. dnspython builds and
parses every answer as immutable objects, about 1,700 Python calls each: at
50 orders the DNS questions cost as much CPU as the ACME requests. Here a
question is a few struct packs and an answer is read record by record; names
keep their case and are compared case-insensitively (RFC 4343).

Checks as ``dns.query.udp`` does: the answer must come from the server asked,
carry the question's ID and the QR bit and echo the question; otherwise
``BadResponse``. A truncated UDP answer is asked again over TCP. A name that
is not plain ASCII (or uses escapes) is not handled here: callers keep
dnspython for it (``plain_name``).
"""

from __future__ import annotations

import secrets
import socket
import struct
import time
from dataclasses import dataclass

import dns.exception
from dns.query import BadResponse

TXT, CNAME, SOA = 16, 5, 6
CLASS_IN = 1
FLAG_QR, FLAG_TC, FLAG_RD = 0x8000, 0x0200, 0x0100
MAX_POINTERS = 64  # a compression loop is a malformed answer, not a hang


def _malformed(what: str) -> dns.exception.FormError:
    return dns.exception.FormError(what)  # type: ignore[no-untyped-call]


def _mismatch(what: str) -> BadResponse:
    return BadResponse(what)  # type: ignore[no-untyped-call]


def _timeout() -> dns.exception.Timeout:
    return dns.exception.Timeout()  # type: ignore[no-untyped-call]


def plain_name(name: str) -> bool:
    """True when ``name`` is ASCII without escapes: what this module encodes."""
    return (
        name.isascii()
        and "\\" not in name
        and all(0 < len(label) < 64 for label in name.rstrip(".").split("."))
    )


@dataclass(frozen=True)
class Record:
    owner: str  # absolute, as the server wrote it ("a.Example.test."); compare with .lower()
    rdtype: int
    start: int  # the rdata's offset in the answer (names in it may point back)
    length: int


@dataclass(frozen=True)
class Answer:
    """The parts of an answer its readers use: flags, answer and authority records."""

    wire: bytes
    flags: int
    answer: tuple[Record, ...]
    authority: tuple[Record, ...]

    def name_at(self, offset: int) -> str:
        return _name(self.wire, offset)[0]

    def txt_strings(self, record: Record) -> bytes:
        """A TXT record's character-strings, joined (RFC 1035 3.3.14)."""
        out, at, end = bytearray(), record.start, record.start + record.length
        while at < end:
            size = self.wire[at]
            out += self.wire[at + 1 : at + 1 + size]
            at += 1 + size
        if at != end:
            raise _malformed("TXT rdata overruns its record")
        return bytes(out)


def encode_query(qid: int, name: str, rdtype: int, flags: int) -> bytes:
    labels = name.rstrip(".").split(".") if name.rstrip(".") else []
    qname = b"".join(bytes([len(label)]) + label.encode() for label in labels) + b"\0"
    return struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 0) + qname + struct.pack("!HH", rdtype, 1)


def _name(wire: bytes, offset: int) -> tuple[str, int]:
    """The absolute name at ``offset`` (case kept) and where the field after it starts."""
    labels: list[str] = []
    end = -1
    for _ in range(MAX_POINTERS):
        size = wire[offset]
        if size & 0xC0 == 0xC0:  # a pointer (RFC 1035 4.1.4)
            if end < 0:
                end = offset + 2
            offset = ((size & 0x3F) << 8) | wire[offset + 1]
            continue
        if size & 0xC0:
            raise _malformed("unknown label type")
        if size == 0:
            return ".".join(labels) + ".", (end if end >= 0 else offset + 1)
        labels.append(wire[offset + 1 : offset + 1 + size].decode("ascii", "replace"))
        offset += 1 + size
    raise _malformed("name compression loop")


def parse(wire: bytes, qid: int, name: str, rdtype: int) -> Answer:
    """Read an answer to (``qid``, ``name``, ``rdtype``); BadResponse if it is not one."""
    try:
        rid, flags, qd, an, ns, _ar = struct.unpack_from("!HHHHHH", wire)
        if rid != qid or not flags & FLAG_QR or qd != 1:
            raise _mismatch("the answer does not match the question")
        owner, at = _name(wire, 12)
        qtype, qclass = struct.unpack_from("!HH", wire, at)
        if owner.lower() != name.lower() or qtype != rdtype or qclass != CLASS_IN:
            raise _mismatch("the answer does not echo the question")
        at += 4
        sections: list[list[Record]] = [[], []]
        for index, count in enumerate((an, ns)):
            for _ in range(count):
                owner, at = _name(wire, at)
                rtype, _rclass, _ttl, length = struct.unpack_from("!HHIH", wire, at)
                at += 10
                if at + length > len(wire):
                    raise _malformed("record overruns the answer")
                sections[index].append(Record(owner, rtype, at, length))
                at += length
    except (struct.error, IndexError):
        raise _malformed("truncated or malformed answer") from None
    return Answer(wire, flags, tuple(sections[0]), tuple(sections[1]))


def ask(
    host: str, port: int, name: str, rdtype: int, timeout: float, recursion: bool = False
) -> Answer:
    """Ask one server over UDP (TCP when the answer is truncated), within ``timeout``."""
    name = name if name.endswith(".") else name + "."
    qid = secrets.randbelow(65536)
    query = encode_query(qid, name, rdtype, FLAG_RD if recursion else 0)
    deadline = time.monotonic() + timeout
    answer = parse(_udp(query, host, port, deadline), qid, name, rdtype)
    if answer.flags & FLAG_TC:
        answer = parse(_tcp(query, host, port, deadline), qid, name, rdtype)
    return answer


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _timeout()
    return left


def _udp(query: bytes, host: str, port: int, deadline: float) -> bytes:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(_left(deadline))
        sock.connect((host, port))  # the kernel drops datagrams from anyone else
        sock.send(query)
        try:
            return sock.recv(65535)
        except TimeoutError:
            raise _timeout() from None


def _tcp(query: bytes, host: str, port: int, deadline: float) -> bytes:
    try:
        with socket.create_connection((host, port), timeout=_left(deadline)) as sock:
            sock.sendall(struct.pack("!H", len(query)) + query)
            (size,) = struct.unpack("!H", _read(sock, 2, deadline))
            return _read(sock, size, deadline)
    except TimeoutError:
        raise _timeout() from None


def _read(sock: socket.socket, size: int, deadline: float) -> bytes:
    data = b""
    while len(data) < size:
        sock.settimeout(_left(deadline))
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        data += chunk
    return data
