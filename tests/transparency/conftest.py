"""Helpers for the signature log's tests: a reader that checks a log from its public API."""

from __future__ import annotations

import base64
import json
from typing import Any

from flask.testing import FlaskClient
from undersign.core import merkle, notes

# --- a log's reader: what anyone can do with the public API alone -------------------------


class LogReader:
    """Reads a petition's log over the public API and checks it as an outsider would."""

    def __init__(self, client: FlaskClient, slug: str) -> None:
        self.client, self.slug = client, slug
        self.base = f"/api/v1/petitions/{slug}/log"

    def key(self) -> notes.Verifier:
        return notes.Verifier(self.client.get(f"{self.base}/key").text.strip())

    def checkpoint(self, *witnesses: notes.Verifier) -> tuple[notes.Checkpoint, notes.Note]:
        answer = self.client.get(f"{self.base}/checkpoint")
        assert answer.status_code == 200, answer.text
        opened = notes.open(answer.text, [self.key(), *witnesses])
        return notes.Checkpoint.parse(opened.text), opened

    def entries(self, size: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while len(found) < size:
            end = min(size, len(found) + 1000)
            page = self.client.get(f"{self.base}/entries?start={len(found)}&end={end}")
            assert page.status_code == 200, page.text
            found += page.json["entries"]
        return found

    def rebuild(self) -> list[str]:
        """Return what is wrong with the log (nothing: it proves its count)."""
        checkpoint, _ = self.checkpoint()
        problems = []
        entries = self.entries(checkpoint.size)
        hashes = []
        for position, entry in enumerate(entries):
            data = base64.b64decode(entry["leaf"])
            fields = {
                k: entry[k]
                for k in ("kind", "minute", "country", "channel", "delta", "commitment", "cancels")
            }
            if entry["index"] != position:
                problems.append(f"entry {position} says it is {entry['index']}")
            if data != json.dumps(fields, sort_keys=True, separators=(",", ":")).encode():
                problems.append(f"entry {position}'s leaf is not its fields")
            hashes.append(merkle.leaf_hash(data))
        if merkle.root(hashes) != checkpoint.root:
            problems.append("the entries do not rebuild the checkpoint's root")
        if sum(entry["delta"] for entry in entries) != checkpoint.count:
            problems.append("the entries do not add up to the checkpoint's count")
        return problems
