"""Checking a petition's transparency log from outside: `undersign witness` and `undersign log`.

Both run anywhere, with no database and no settings: they read the public log API of
issue 19 (`/api/v1/petitions/<slug>/log/...`) over HTTPS, using only the standard library,
and trust nothing the server says that they can check themselves.

- `undersign witness URL --key FILE --state FILE` remembers the last checkpoint it accepted,
  accepts a new one only if the log's own key signed it and a consistency proof shows the old
  tree inside the new one, then cosigns it (c2sp.org/tlog-cosignature) and posts the line.
  The log's key is pinned on first use (or given with --log-key).
- `undersign log verify URL` downloads every entry, rebuilds the tree and the count, and
  compares them with the signed checkpoint; with --receipt it finds a signer's entry.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from undersign.core import merkle, notes
from undersign.core.notes import Checkpoint, NoteError

PAGE = 1000  # entries asked for per request; the server may answer with fewer
PROOFS = 10  # kept checkpoints whose consistency proof to the latest is asked of the log
TIMEOUT = 30  # seconds per request
TOKEN_VARIABLE = "UNDERSIGN_WITNESS_TOKEN"  # noqa: S105 (its name, not a token)
# The entry kinds that take a signature out of the count (see Tally).
CANCELS = {"withdrawn", "invalidated"}
# A receipt as the service prints it (signers/transparency.py): five groups of four base32.
RECEIPT = re.compile(r"[A-Za-z2-7]{4}(?:-[A-Za-z2-7]{4}){4}")


class Refused(click.ClickException):
    """The log is not what it claims: a fork, a shrink, a rewrite, a bad signature.

    Exit status 3, so that cron can tell "the log misbehaved" from "could not check" (1).
    """

    exit_code = 3


# -- the log's address and its API -----------------------------------------------------------


@dataclass(frozen=True)
class Log:
    """A petition's log API, found from the petition's address."""

    base: str  # https://host/api/v1/petitions/<slug>/log

    @classmethod
    def from_url(cls, url: str) -> Log:
        """Accept the petition's page (https://host/p/<slug>) or its log API address."""
        parts = urllib.parse.urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise click.BadParameter(
                f"{url!r}: give the petition's address, like https://example.org/p/clean-air"
            )
        path = parts.path.rstrip("/")
        api = re.fullmatch(r"(.*)/api/v1/petitions/([^/]+)(?:/log)?", path)
        page = re.fullmatch(r"(.*)/p/([^/]+)(?:/check)?", path)
        found = api or page
        if not found:
            raise click.BadParameter(
                f"{url!r}: give the petition's address, like https://example.org/p/clean-air"
            )
        prefix, slug = found.groups()
        return cls(f"{parts.scheme}://{parts.netloc}{prefix}/api/v1/petitions/{slug}/log")

    def _request(self, path: str, *, data: bytes | None = None, token: str | None = None) -> bytes:
        url = f"{self.base}/{path}"
        headers = {"User-Agent": "undersign-log-checker", "Accept": "*/*"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # Only http(s): from_url refused every other scheme.
        request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
                body: bytes = answer.read()
                return body
        except urllib.error.HTTPError as error:
            detail = _error_detail(error)
            method = "POST" if data is not None else "GET"
            raise click.ClickException(
                f"{method} {url}: {error.code} {error.reason}{detail}"
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise click.ClickException(f"cannot reach {url}: {reason}") from None

    def text(self, path: str) -> str:
        try:
            return self._request(path).decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(f"{self.base}/{path} is not UTF-8 text") from None

    def json(self, path: str) -> Any:
        try:
            return json.loads(self._request(path))
        except ValueError:
            raise Refused(f"{self.base}/{path} is not JSON") from None

    def key(self) -> notes.Verifier:
        vkey = self.text("key").strip()
        try:
            return notes.Verifier(vkey)
        except NoteError as error:
            raise Refused(f"the log key served is not a verifier key ({error})") from None

    def checkpoint(
        self, verifiers: list[notes.Verifier], size: int | None = None
    ) -> tuple[notes.Note, Checkpoint]:
        """Fetch the latest checkpoint (or the one of `size`); check the log's signature."""
        served = self.text("checkpoint" if size is None else f"checkpoint?size={size}")
        note, checkpoint = open_checkpoint(served, verifiers)
        if size is not None and checkpoint.size != size:
            raise Refused(f"asked for the checkpoint of size {size}, got {checkpoint.size}")
        return note, checkpoint

    def checkpoint_sizes(self) -> list[int] | None:
        """The sizes of every checkpoint the log kept, page by page (None: no such list)."""
        sizes: list[int] = []
        while True:
            try:
                answer = self.json(f"checkpoints?start={len(sizes)}")
            except click.ClickException as error:
                if ": 404 " in error.message and not sizes:
                    return None
                raise
            try:
                page = [int(kept["size"]) for kept in answer["checkpoints"]]
                more = bool(answer.get("has_more"))
            except (KeyError, TypeError, ValueError):
                raise Refused("the list of checkpoints served is malformed") from None
            sizes += page
            if not more or not page:
                return sorted(set(sizes))

    def consistency(self, old: int, new: int) -> list[bytes]:
        answer = self.json(f"consistency?from={old}&to={new}")
        return _hashes(answer, "consistency proof")

    def inclusion(self, commitment: str, size: int) -> tuple[int, list[bytes]] | None:
        try:
            answer = self.json(f"inclusion?commitment={commitment}&size={size}")
        except click.ClickException as error:
            if ": 404 " in error.message:
                return None
            raise
        if not isinstance(answer, dict) or not isinstance(answer.get("leaf_index"), int):
            raise Refused("the inclusion proof served has no leaf_index")
        if answer.get("tree_size", size) != size:
            raise Refused(f"asked for an inclusion proof at size {size}, got another size")
        return answer["leaf_index"], _hashes(answer, "inclusion proof")

    def entries(self, size: int) -> Iterator[dict[str, Any]]:
        """Yield entries 0 .. size-1 in order, page by page."""
        start = 0
        while start < size:
            end = min(start + PAGE, size)
            answer = self.json(f"entries?start={start}&end={end}")
            page = answer.get("entries") if isinstance(answer, dict) else answer
            if not isinstance(page, list):
                raise Refused("the entries served are not a list")
            if not page:
                raise Refused(
                    f"the checkpoint counts {size} entries but the log serves only {start}: "
                    "entries were dropped"
                )
            for entry in page[: end - start]:
                if not isinstance(entry, dict) or entry.get("index") != start:
                    raise Refused(f"entry {start} is missing or out of order")
                yield entry
                start += 1

    def post_cosignature(self, line: str, key: str, size: int, token: str) -> None:
        """Post a cosignature with the witness's key (pinned by the server the first time)."""
        body = {"cosignature": line.rstrip("\n"), "key": key, "size": size}
        self._request("cosignatures", data=json.dumps(body).encode(), token=token)


def _error_detail(error: urllib.error.HTTPError) -> str:
    try:
        body = error.read(2000).decode("utf-8", "replace")
        answer = json.loads(body)
        message = answer.get("error") or answer.get("message") or answer.get("detail")
        if isinstance(message, dict):
            message = message.get("message")
        return f" ({message})" if message else ""
    except Exception:  # an error page that is not JSON: its status says enough
        return ""


def _hashes(answer: Any, what: str) -> list[bytes]:
    try:
        hashes = [base64.b64decode(h, validate=True) for h in answer["hashes"]]
    except (KeyError, TypeError, ValueError):
        raise Refused(f"the {what} served is malformed") from None
    return hashes


def open_checkpoint(served: str, verifiers: list[notes.Verifier]) -> tuple[notes.Note, Checkpoint]:
    try:
        note = notes.open(served, verifiers)
        return note, Checkpoint.parse(note.text)
    except notes.UnverifiedNoteError:
        raise Refused("the checkpoint is not signed by the log's key") from None
    except notes.InvalidSignatureError as error:
        raise Refused(f"the checkpoint has a bad signature: {error}") from None
    except NoteError as error:
        raise Refused(f"the checkpoint is malformed: {error}") from None


# -- the witness -----------------------------------------------------------------------------


class _WitnessGroup(click.Group):
    """`undersign witness URL ...` means `undersign witness cosign URL ...`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["cosign", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_WitnessGroup)
def witness() -> None:
    """Witness a petition's log: check it only grew, then cosign it (run from cron).

    \b
    undersign witness keygen NAME --key FILE
    undersign witness URL --key FILE --state FILE [--token TOKEN] [--log-key VKEY]

    The second is `undersign witness cosign URL ...`; exit 3 means the log was refused.
    """


@witness.command("keygen")
@click.argument("name")
@click.option(
    "--key",
    "key_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the private key (mode 0600).",
)
def keygen(name: str, key_file: Path) -> None:
    """Make a witness key called NAME (e.g. union.example/witness); print its public key.

    Give the printed public key (one line) to the campaign, so that its server accepts
    and shows your cosignatures.
    """
    try:
        skey, vkey = notes.generate(name, cosigner=True)
    except NoteError as error:
        raise click.BadParameter(str(error), param_hint="NAME") from None
    try:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.ClickException(
            f"{key_file} exists already; a key file is never overwritten"
        ) from None
    with os.fdopen(descriptor, "w") as out:
        out.write(skey + "\n")
    click.echo(f"private witness key written to {key_file}; the public key:", err=True)
    click.echo(vkey)


@witness.command("cosign")
@click.argument("url")
@click.option(
    "--key",
    "key_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The witness key file (from `undersign witness keygen`).",
)
@click.option(
    "--state",
    "state_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where the last accepted checkpoint is kept, one file per petition.",
)
@click.option(
    "--token",
    envvar=TOKEN_VARIABLE,
    required=True,
    help=f"The partner token the campaign gave you (or set {TOKEN_VARIABLE}).",
)
@click.option(
    "--log-key",
    help="The log's verifier key as the campaign published it (else: trusted on first use).",
)
def cosign(url: str, key_file: Path, state_file: Path, token: str, log_key: str | None) -> None:
    """Check the log at URL (the petition's address) grew honestly, then cosign it."""
    log = Log.from_url(url)
    signer = _witness_key(key_file)
    state = _read_state(state_file)

    served_key = log.key()
    remembered = (state or {}).get("log_key")
    if (
        log_key
        and remembered
        and _verifier(remembered, "--state") != _verifier(log_key, "--log-key")
    ):
        raise click.ClickException(
            f"--log-key is not the key {state_file} was made with ({remembered})"
        )
    pinned = log_key or remembered
    if pinned:
        pinned_key = _verifier(pinned, "--log-key")
        if pinned_key != served_key:
            raise Refused(
                f"the log's key changed: it was {pinned_key.vkey}, it is now {served_key.vkey}"
            )

    note, checkpoint = log.checkpoint([served_key])
    if state:
        if checkpoint.origin != state["origin"]:
            raise Refused(f"the log is now called {checkpoint.origin!r}, not {state['origin']!r}")
        _check_grew(log, state, checkpoint)

    # Persist before the cosignature leaves: a witness never vouches for a tree it could
    # later forget it saw (so a restarted witness cannot be walked back).
    _write_state(
        state_file,
        {
            "log": log.base,
            "log_key": served_key.vkey,
            "origin": checkpoint.origin,
            "size": checkpoint.size,
            "root": base64.b64encode(checkpoint.root).decode(),
            # The checkpoint as the log signed it: with the next one, evidence of a fork.
            "checkpoint": note.text + "\n" + "".join(sig.line for sig in note.verified_by),
            "checked_at": int(time.time()),
        },
    )
    line = notes.cosign(note.text, signer, int(time.time()))
    log.post_cosignature(line, signer.vkey, checkpoint.size, token)
    if not pinned:
        click.echo(
            f"first run: trusting the log key {served_key.vkey} as {log.base} serves it; "
            "check it against the one the campaign publishes. A different key later is refused.",
            err=True,
        )
    count = f", count {checkpoint.count}" if checkpoint.count is not None else ""
    click.echo(f"cosigned {checkpoint.origin} at {checkpoint.size} entries{count}")


def _verifier(vkey: str, option: str) -> notes.Verifier:
    try:
        return notes.Verifier(vkey.strip())
    except NoteError as error:
        raise click.BadParameter(f"not a verifier key: {error}", param_hint=option) from None


def _witness_key(path: Path) -> notes.Signer:
    try:
        signer = notes.Signer(path.read_text("utf-8"))
    except (NoteError, UnicodeDecodeError):
        raise click.ClickException(f"{path}: not a witness key file") from None
    if signer.alg != notes.COSIGNATURE_V1:
        raise click.ClickException(
            f"{path}: a note signing key, not a witness key (make one with `witness keygen`)"
        )
    return signer


def _check_grew(log: Log, state: dict[str, Any], checkpoint: Checkpoint) -> None:
    """Refuse unless the new checkpoint's tree holds the old one unchanged."""
    old_size, old_root = state["size"], base64.b64decode(state["root"])
    new_size, new_root = checkpoint.size, checkpoint.root
    if new_size < old_size:
        raise Refused(f"the log shrank from {old_size} to {new_size} entries: entries were removed")
    if new_size == old_size:
        if new_root != old_root:
            raise Refused(
                f"the log was rewritten: same size {new_size}, another root hash (a fork)"
            )
        return
    if old_size == 0:  # the empty tree is in every tree
        return
    proof = log.consistency(old_size, new_size)
    if not merkle.verify_consistency(old_size, new_size, old_root, new_root, proof):
        raise Refused(
            f"the log at {new_size} entries does not contain the log at {old_size} "
            "entries that this witness saw: it was rewritten (a fork)"
        )


def _read_state(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text("utf-8"))
        base64.b64decode(state["root"], validate=True)
        int(state["size"])
        str(state["origin"])
        notes.Verifier(state["log_key"])
    except (ValueError, KeyError, TypeError):
        raise click.ClickException(
            f"{path}: not a witness state file; move it away only if you know why it is broken"
        ) from None
    return dict(state)


def _write_state(path: Path, state: dict[str, Any]) -> None:
    """Replace the state file in one step: a crash leaves the old state or the new one."""
    folder = path.parent if str(path.parent) else Path(".")
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(state, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# -- checking a whole log --------------------------------------------------------------------


@click.group("log")
def log_group() -> None:
    """A petition's public log of signatures, checked from outside."""


@log_group.command("verify")
@click.argument("url")
@click.option("--receipt", help="A signer's receipt: is that signature in the log, and counted?")
@click.option(
    "--log-key", help="The log's verifier key as the campaign published it (else: as served)."
)
@click.option(
    "--witness",
    "witness_keys",
    multiple=True,
    help="A witness's verifier key, to check its cosignature; repeat for each.",
)
@click.option(
    "--checkpoint",
    "earlier",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="An earlier signed checkpoint you kept (or a witness state file): the log must extend it.",
)
def verify(
    url: str,
    receipt: str | None,
    log_key: str | None,
    witness_keys: tuple[str, ...],
    earlier: tuple[Path, ...],
) -> None:
    """Rebuild the log at URL (the petition's address) from its entries and check everything."""
    log = Log.from_url(url)
    served_key = log.key()
    if log_key:
        try:
            published = notes.Verifier(log_key.strip())
        except NoteError as error:
            raise click.BadParameter(str(error), param_hint="--log-key") from None
        if published != served_key:
            raise Refused(f"the log serves the key {served_key.vkey}, not {published.vkey}")
    try:
        witnesses = [notes.Verifier(k.strip()) for k in witness_keys]
    except NoteError as error:
        raise click.BadParameter(str(error), param_hint="--witness") from None
    if any(w.alg != notes.COSIGNATURE_V1 for w in witnesses):
        raise click.BadParameter("not a witness (cosigner) key", param_hint="--witness")

    note, checkpoint = log.checkpoint([served_key, *witnesses])
    say = click.echo
    say(f"log {checkpoint.origin}: {checkpoint.size} entries, signed by {served_key.name}")
    cosigned = [s for s in note.verified_by if s.timestamp is not None]
    missing = {(w.name, w.key_id) for w in witnesses} - {(s.name, s.key_id) for s in cosigned}
    if missing:
        names = ", ".join(sorted(name for name, _ in missing))
        raise Refused(f"the checkpoint carries no cosignature by {names}")
    for s in cosigned:
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(s.timestamp or 0))
        say(f"cosigned by {s.name} at {when}")
    if note.unverified:
        names = ", ".join(s.name for s in note.unverified)
        say(f"also signed by (not checked: give --witness KEY): {names}")

    entries = list(log.entries(checkpoint.size))
    hashes = [merkle.leaf_hash(_leaf(e)) for e in entries]
    if merkle.root(hashes) != checkpoint.root:
        raise Refused(
            f"the {len(entries)} entries served do not rebuild the signed root hash: "
            "the log was rewritten (an entry changed or dropped)"
        )
    say(f"entries: {len(entries)}, they rebuild the signed root")
    tally = Tally.of(entries)
    if checkpoint.count is not None and tally.count != checkpoint.count:
        raise Refused(
            f"the entries imply {tally.count} signatures ({tally.explain()}), "
            f"the checkpoint says count {checkpoint.count}"
        )
    say(f"count: {tally.count} = {tally.explain()}")

    _check_kept_checkpoints(log, served_key, checkpoint, entries, hashes)
    for path in earlier:
        _check_earlier(log, path, served_key, checkpoint, hashes)
    if checkpoint.size > 1:  # the server's own proofs agree with the entries
        half = checkpoint.size // 2
        proof = log.consistency(half, checkpoint.size)
        if not merkle.verify_consistency(
            half, checkpoint.size, merkle.root(hashes[:half]), checkpoint.root, proof
        ):
            raise Refused(f"the log's consistency proof from {half} entries does not verify")

    if receipt is not None:
        _check_receipt(log, receipt, checkpoint, entries, hashes, tally)
    say("OK")


def _leaf(entry: dict[str, Any]) -> bytes:
    try:
        leaf = base64.b64decode(entry["leaf"], validate=True)
    except (KeyError, TypeError, ValueError):
        raise Refused(f"entry {entry.get('index')} has no base64 leaf") from None
    # The leaf is what the tree signs; when it is JSON, the fields shown beside it must
    # say the same, or a reader could be shown one entry while the tree holds another.
    try:
        signed = json.loads(leaf)
    except ValueError:
        return leaf
    if isinstance(signed, dict):
        for name, value in signed.items():
            if name in entry and entry[name] != value:
                raise Refused(
                    f"entry {entry['index']}: its {name} {entry[name]!r} is not the "
                    f"{value!r} its leaf holds"
                )
    return leaf


@dataclass
class Tally:
    """The count the entries imply, and what became of every commitment.

    The kinds are signers/transparency.py's: `signed` and `restored` put a signature's
    commitment in the count (+1), `withdrawn` and `invalidated` take one out (-1), `paper`
    adds a batch's number under a commitment of its own and `paper_removed` takes exactly
    that number out again. Each entry must do what its kind says to a commitment in the
    state its kind needs: a withdrawal of nothing, a second confirmation of one receipt or a
    paper removal of another number would let a log say one count and mean another.
    """

    counted: set[str] = field(default_factory=set)
    cancelled: dict[str, str] = field(default_factory=dict)  # commitment -> what cancelled it
    paper: dict[str, int] = field(default_factory=dict)  # a paper entry's commitment -> number
    added: int = 0
    removed: int = 0
    total: int = 0  # the sum of the entries' deltas

    @classmethod
    def of(cls, entries: list[dict[str, Any]]) -> Tally:
        tally = cls()
        for entry in entries:
            tally.add(entry)
        if tally.total != tally.count:
            raise Refused(f"the entries' deltas add up to {tally.total}, not {tally.count}")
        return tally

    def add(self, entry: dict[str, Any]) -> None:
        index, kind, delta = entry["index"], entry.get("kind"), entry.get("delta")
        commitment, cancels = entry.get("commitment"), entry.get("cancels")
        if not isinstance(delta, int) or isinstance(delta, bool):
            raise Refused(f"entry {index}: no delta")
        wrong = Refused(f"entry {index}: a {kind} entry that does not do what its kind says")
        if kind == "signed":
            new = commitment not in self.counted and commitment not in self.cancelled
            if delta != 1 or not commitment or not new or commitment in self.paper:
                raise wrong
            self.counted.add(commitment)
            self.added += 1
        elif kind == "restored":
            if delta != 1 or commitment not in self.cancelled:
                raise wrong
            del self.cancelled[commitment]
            self.counted.add(commitment)
            self.added += 1
        elif kind in CANCELS:
            if delta != -1 or cancels not in self.counted:
                raise Refused(f"entry {index}: {kind} cancels {cancels!r}, which is not counted")
            self.counted.remove(cancels)
            self.cancelled[cancels] = kind
            self.removed += 1
        elif kind == "paper":
            if delta <= 0 or not commitment or commitment in self.paper:
                raise wrong
            self.paper[commitment] = delta
        elif kind == "paper_removed":
            if cancels not in self.paper or delta != -self.paper[cancels]:
                raise wrong
            del self.paper[cancels]
        else:
            raise Refused(f"entry {index}: unknown kind {kind!r}")
        self.total += delta

    @property
    def on_paper(self) -> int:
        return sum(self.paper.values())

    @property
    def count(self) -> int:
        return len(self.counted) + self.on_paper

    def explain(self) -> str:
        return (
            f"{self.added} confirmed or restored - {self.removed} withdrawn or invalidated"
            f" + {self.on_paper} on paper"
        )


def _check_kept_checkpoints(
    log: Log,
    key: notes.Verifier,
    latest: Checkpoint,
    entries: list[dict[str, Any]],
    hashes: list[bytes],
) -> None:
    """Check every earlier checkpoint the log kept: a prefix of this one, with its count.

    Each one's root and count are recomputed from the entries (one pass for all of them);
    the log's own consistency proofs are checked from a few of them to the latest, since a
    proof per checkpoint would cost the server a pass over the log each.
    """
    sizes = log.checkpoint_sizes()
    if sizes is None:
        click.echo("earlier checkpoints: the API lists none (give --checkpoint FILE)")
        return
    if sizes and sizes[-1] > latest.size:
        raise Refused(
            f"the log signed a checkpoint of {sizes[-1]} entries, its latest has {latest.size}: "
            "it shrank"
        )
    sizes = [n for n in sizes if 0 < n < latest.size]
    roots, counts = _prefixes(entries, hashes, set(sizes))
    kept = []
    for size in sizes:
        _, old = log.checkpoint([key], size)
        if old.origin != latest.origin:
            raise Refused(f"the checkpoint of size {size} is of another log, {old.origin!r}")
        if old.root != roots[size]:
            raise Refused(
                f"the checkpoint of size {size} signed a root the entries do not give: "
                "the log was rewritten after it"
            )
        if old.count is not None and old.count != counts[size]:
            raise Refused(
                f"the checkpoint of size {size} says count {old.count}, "
                f"its entries imply {counts[size]}"
            )
        kept.append(old)
    for old in kept[:: max(1, len(kept) // PROOFS)]:
        _check_proof(log, old, latest)
    click.echo(f"earlier checkpoints: {len(sizes)}, each the start of the next, counts right")


def _prefixes(
    entries: list[dict[str, Any]], hashes: list[bytes], sizes: set[int]
) -> tuple[dict[int, bytes], dict[int, int]]:
    """Return the root and the implied count of the first n entries, for each n in sizes."""
    roots, counts, tally = {}, {}, Tally()
    # The roots of the perfect subtrees the leaves so far split into, largest first
    # (RFC 9162's tree is their right-to-left fold): each leaf costs O(1) on average.
    frontier: list[tuple[int, bytes]] = []
    for n, (entry, hashed) in enumerate(zip(entries, hashes, strict=True), start=1):
        tally.add(entry)
        frontier.append((1, hashed))
        while len(frontier) > 1 and frontier[-1][0] == frontier[-2][0]:
            (width, right), (_, left) = frontier.pop(), frontier.pop()
            frontier.append((2 * width, merkle.node_hash(left, right)))
        if n in sizes:
            root = frontier[-1][1]
            for _, left in reversed(frontier[:-1]):
                root = merkle.node_hash(left, root)
            roots[n], counts[n] = root, tally.count
    return roots, counts


def _check_proof(log: Log, old: Checkpoint, new: Checkpoint) -> None:
    """Check the log's own consistency proof between two checkpoints."""
    proof = log.consistency(old.size, new.size)
    if not merkle.verify_consistency(old.size, new.size, old.root, new.root, proof):
        raise Refused(
            f"the log's consistency proof from {old.size} to {new.size} entries does not verify"
        )


def _check_earlier(
    log: Log, path: Path, key: notes.Verifier, checkpoint: Checkpoint, hashes: list[bytes]
) -> None:
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{path}: not a checkpoint (not UTF-8 text)") from None
    # A checkpoint as the log served it, or a witness state file, which holds the signed
    # checkpoint it accepted last.
    with contextlib.suppress(ValueError, KeyError, TypeError):
        text = str(json.loads(text)["checkpoint"])
    _, old = open_checkpoint(text, [key])
    if old.origin != checkpoint.origin:
        raise Refused(f"{path}: a checkpoint of {old.origin!r}, not of this log")
    if old.size > checkpoint.size:
        raise Refused(
            f"the log shrank: {path} has {old.size} entries, the log now {checkpoint.size}"
        )
    if merkle.root(hashes[: old.size]) != old.root:
        raise Refused(
            f"the log's first {old.size} entries are not those of {path}: it was rewritten"
        )
    if 0 < old.size < checkpoint.size:
        proof = log.consistency(old.size, checkpoint.size)
        if not merkle.verify_consistency(
            old.size, checkpoint.size, old.root, checkpoint.root, proof
        ):
            raise Refused(f"the log's consistency proof from {path} does not verify")
    click.echo(f"extends {path} ({old.size} entries)")


def _check_receipt(
    log: Log,
    receipt: str,
    checkpoint: Checkpoint,
    entries: list[dict[str, Any]],
    hashes: list[bytes],
    tally: Tally,
) -> None:
    printed = receipt.strip()
    if RECEIPT.fullmatch(printed):  # typed in lower case: receipts are printed in capitals
        printed = printed.upper()
    commitment = hashlib.sha256(printed.encode("utf-8")).hexdigest()
    naming = [e["index"] for e in entries if commitment in (e.get("commitment"), e.get("cancels"))]
    found = log.inclusion(commitment, checkpoint.size)
    if found is None:
        if naming:
            raise Refused(f"entry {naming[0]} holds this receipt, but the log denies it")
        raise Refused("no entry of the log holds this receipt")
    index, proof = found
    if index not in naming:
        raise Refused(f"the log points this receipt at entry {index}, which does not name it")
    if not merkle.verify_inclusion(index, checkpoint.size, hashes[index], proof, checkpoint.root):
        raise Refused(f"the inclusion proof of entry {index} does not verify")
    size = checkpoint.size
    first, last = entries[naming[0]], entries[naming[-1]]
    said = f"receipt: signed in entry {naming[0] + 1} of {size} ({first.get('minute')}), "
    if commitment in tally.counted:
        click.echo(said + "counted")
    else:
        kind = tally.cancelled.get(commitment, "cancelled")
        click.echo(said + f"{kind} in entry {naming[-1] + 1} ({last.get('minute')}): not counted")
