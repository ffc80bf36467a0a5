"""Answers sent as they are: encoded once, gzip-compressed once, long-cached under a version.

Every partner page that shows the widget asks for widget.js and the widget's words, so
their bytes, gzip encoding and digest are made once per process (again only when a file
changes on disk), never per request, and a deployment without a compressing proxy still
sends a fraction of the bytes (bench/README.md, "The widget"). A generated answer that
repeats (a language's words, a petition's widget data until its count moves) is
compressed once too: `encoded` keeps the latest few by their bytes.

An address that carries the current version (`?v=`) never changes its bytes, so it is
kept a year; without the version, or with an old one, the answer is the current bytes,
kept briefly. An old version is not redirected to the new one: that would cost the page a
round trip, and the brief cache already tells the browser to ask again soon.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import Response, request

from undersign.core.i18n import frontend_dir

YEAR = 365 * 24 * 3600
BRIEFLY = 300  # how soon a partner page's fixed /widget.js address gets a new release
VERSION_LENGTH = 12


@dataclass(frozen=True)
class Encoded:
    """One answer's bytes, the same bytes gzip-compressed, and their digest."""

    body: bytes
    gzipped: bytes
    digest: str

    @property
    def version(self) -> str:
        """Return what a versioned address carries in `?v=`."""
        return self.digest[:VERSION_LENGTH]


def encode(body: bytes) -> Encoded:
    """Compress `body` (gzip's best, with no timestamp: the same bytes every time) and hash it."""
    return Encoded(body, gzip.compress(body, 9, mtime=0), hashlib.sha256(body).hexdigest())


@lru_cache(maxsize=64)
def encoded(body: bytes) -> Encoded:
    """Return `encode(body)`, compressing only the first time these bytes are answered."""
    return encode(body)


# A file's (modification time, size) when read, and what it was encoded to.
_files: dict[Path, tuple[tuple[int, int], Encoded]] = {}


def file(name: str) -> Encoded:
    """Return a frontend file encoded: read once, and again only after it changed on disk.

    One stat() per request is what keeps an edited widget.js showing up without a restart.
    """
    path = frontend_dir() / name
    status = path.stat()
    stamp = (status.st_mtime_ns, status.st_size)
    known = _files.get(path)
    if known is None or known[0] != stamp:
        known = (stamp, encode(path.read_bytes()))
        _files[path] = known  # two threads may both read it: the same bytes, harmless
    return known[1]


def accepts_gzip() -> bool:
    """Tell whether the request's Accept-Encoding allows gzip (`gzip;q=0` refuses it)."""
    return request.accept_encodings["gzip"] > 0


def answer(
    encoded: Encoded, mimetype: str, *, version: str | None, max_age: int = BRIEFLY
) -> Response:
    """Answer with `encoded`, gzip-compressed where accepted, open to every origin.

    `version` is what `?v=` must be for the answer to be kept a year (None: never);
    otherwise it is kept `max_age` seconds. A matching If-None-Match gets a 304.
    """
    compressed = accepts_gzip()
    response = Response(encoded.gzipped if compressed else encoded.body, mimetype=mimetype)
    if compressed:
        response.content_encoding = "gzip"
    # Both encodings are cached apart, under tags of their own (their bytes differ).
    response.vary.add("Accept-Encoding")
    response.set_etag(f"{encoded.digest}-gzip" if compressed else encoded.digest)
    current = version is not None and request.args.get("v") == version
    response.cache_control.public = True
    response.cache_control.max_age = YEAR if current else max_age
    response.cache_control.immutable = current
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.make_conditional(request)  # a 304 when If-None-Match names this tag
    return response


def send_file(name: str, mimetype: str) -> Response:
    """Answer with a frontend file, kept a year under its current version."""
    found = file(name)
    return answer(found, mimetype, version=found.version)
