// Checking a receipt against a petition's public log, entirely in this browser: the server's
// answers are data, never trusted. The receipt's SHA-256 (WebCrypto) is its commitment; the
// checkpoint's Ed25519 signatures (the campaign's, the witnesses' cosignatures) are checked with
// libsodium (vendored for the organisers' pages); the inclusion proof is checked as RFC 9162
// 2.1.3.2 says. Only the commitment is sent: the receipt itself never leaves the page.

import { fill } from "./fill.js";

const form = document.getElementById("check");
const result = document.getElementById("check-result");
const words = JSON.parse(form.dataset.words);
const base = `/api/v1/petitions/${encodeURIComponent(form.dataset.slug)}/log`;
const encoder = new TextEncoder();
const ED25519 = 1;
const COSIGNATURE_V1 = 4;
let sodium = null;

/** A log answer that does not check out: the page says so, and why, to whoever looks. */
class Broken extends Error {}

async function library() {
  if (!sodium) {
    const module = await import("../admin/vendor/libsodium/libsodium-wrappers.js");
    await module.ready;
    sodium = module.default;
  }
  return sodium;
}

/** The receipt as printed (ABCD-EFGH-JKLM-NPQR-STUV) from what was typed; null if none. */
function printed(typed) {
  // Base32 has no 0, 1 or 8: someone who typed one meant O, I or B.
  const letters = typed.replace(/[\s-]/g, "").toUpperCase().replace(/0/g, "O").replace(/1/g, "I").replace(/8/g, "B");
  if (!/^[A-Z2-7]{20}$/.test(letters)) return null;
  return letters.match(/.{4}/g).join("-");
}

/** Base64 to bytes; what is not base64 is a broken answer. */
function bytes(base64) {
  try {
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  } catch {
    throw new Broken("base64");
  }
}
const hex = (data) => Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
const sha256 = async (data) => new Uint8Array(await crypto.subtle.digest("SHA-256", data));
const join = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};
const same = (a, b) => a.length === b.length && a.every((value, i) => value === b[i]);
const node = (left, right) => sha256(join(Uint8Array.of(1), left, right));

/** A signed-note verifier key, `name+hexid+base64(type || key)`, with its id checked. */
async function verifierKey(vkey) {
  // The name holds no "+"; the base64 after the id may.
  const [name, id, ...key64] = vkey.trim().split("+");
  const raw = bytes(key64.join("+"));
  if (!name || !/^[0-9a-f]{8}$/.test(id) || raw.length !== 33) throw new Broken("key");
  const hashed = await sha256(join(encoder.encode(`${name}\n`), raw));
  if (hex(hashed.slice(0, 4)) !== id) throw new Broken("key id");
  return { name, id: hashed.slice(0, 4), alg: raw[0], key: raw.slice(1) };
}

/** The note's text and its signature lines ("— name base64"). */
function splitNote(note) {
  const at = note.indexOf("\n\n");
  if (at < 0) throw new Broken("note");
  const lines = note.slice(at + 2).split("\n").filter(Boolean);
  const signatures = lines.map((line) => {
    const found = /^— (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!found) throw new Broken("signature line");
    return { name: found[1], raw: bytes(found[2]) };
  });
  return { text: note.slice(0, at + 1), signatures };
}

/** Does `signature` verify by `verifier` over the note text? (A cosignature covers its time too.) */
function verifies(s, verifier, text) {
  if (s.name !== verifier.name || !same(s.raw.slice(0, 4), verifier.id)) return false;
  if (verifier.alg === ED25519) {
    return s.raw.length === 68 && s.verify(s.raw.slice(4), encoder.encode(text), verifier.key);
  }
  if (verifier.alg === COSIGNATURE_V1 && s.raw.length === 76) {
    const time = new DataView(s.raw.buffer, s.raw.byteOffset + 4, 8).getBigUint64(0);
    const message = encoder.encode(`cosignature/v1\ntime ${time}\n${text}`);
    return s.verify(s.raw.slice(12), message, verifier.key);
  }
  return false;
}

/** RFC 9162 2.1.3.2: does `path` lead from the leaf at `index` to `root` in a tree of `size`? */
async function included(index, size, leafHash, path, root) {
  if (index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await node(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await node(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && same(r, root);
}

async function get(path) {
  const response = await fetch(`${base}/${path}`);
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response;
}

/** Check one receipt; return what to say, as [class, sentences]. */
async function check(receipt) {
  const commitment = hex(await sha256(encoder.encode(receipt)));
  const [keyAnswer, noteAnswer, witnessAnswer] = await Promise.all([get("key"), get("checkpoint"), get("witnesses")]);
  if (!keyAnswer || !noteAnswer) return ["missing", [words.not_found]];
  const lib = await library();
  const verify = (signature, message, key) => lib.crypto_sign_verify_detached(signature, message, key);
  const note = splitNote(await noteAnswer.text());
  note.signatures.forEach((s) => (s.verify = verify));
  const logKey = await verifierKey(await keyAnswer.text());
  if (!note.signatures.some((s) => verifies(s, logKey, note.text))) throw new Broken("log signature");
  const [, sizeLine, rootLine] = note.text.split("\n");
  const size = Number(sizeLine);
  const root = bytes(rootLine);
  const witnesses = [];
  for (const witness of (witnessAnswer ? await witnessAnswer.json() : { witnesses: [] }).witnesses) {
    const key = await verifierKey(witness.key);
    if (note.signatures.some((s) => verifies(s, key, note.text))) witnesses.push(witness.name);
  }
  const proofAnswer = await get(`inclusion?commitment=${commitment}&size=${size}`);
  if (!proofAnswer) return ["missing", [words.not_found]];
  const proof = await proofAnswer.json();
  const leaf = bytes(proof.entry.leaf);
  const entry = JSON.parse(new TextDecoder().decode(leaf));
  const leafHash = await sha256(join(Uint8Array.of(0), leaf));
  const path = proof.hashes.map(bytes);
  if (entry.commitment !== commitment && entry.cancels !== commitment) throw new Broken("entry");
  if (proof.tree_size !== size || !(await included(proof.leaf_index, size, leafHash, path, root))) {
    throw new Broken("inclusion");
  }
  const place = { index: proof.leaf_index + 1, size };
  const state = entry.cancels === commitment ? entry.kind : "in_log";
  const signedBy = witnesses.length
    ? fill(words.signed_by_witnesses, { names: witnesses.join(", ") })
    : `${words.signed_by_campaign} ${words.no_witness_yet}`;
  return [state === "in_log" ? "in-log" : "cancelled", [fill(words[state] || words.in_log, place), signedBy]];
}

function say(kind, sentences) {
  result.replaceChildren(
    ...sentences.map((sentence) => {
      const p = document.createElement("p");
      p.textContent = sentence;
      return p;
    }),
  );
  result.className = `check-result outcome-${kind}`;
}

async function run(typed) {
  const receipt = printed(typed);
  if (!receipt) return say("invalid", [words.not_a_receipt]);
  say("checking", [words.checking]);
  try {
    say(...(await check(receipt)));
  } catch (error) {
    say(error instanceof Broken ? "broken" : "unavailable", [error instanceof Broken ? words.broken : words.unavailable]);
  }
}

form.hidden = false;
form.addEventListener("submit", (event) => {
  event.preventDefault();
  run(form.receipt.value);
});
const given = decodeURIComponent(location.hash.slice(1));
if (given) {
  form.receipt.value = given;
  run(given);
}
