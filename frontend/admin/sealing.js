// Sealed petitions, opened in this browser: the server holds signers' data only sealed to the
// organisers' public key (server/undersign/sealing.py), so only the private key file opens it.
// The file is read here and its key kept in this module's memory: never stored, never sent,
// gone when the tab closes or "Forget keys" is pressed. Several keys may be open at once, for a
// petition whose key was rotated. The cryptography is libsodium's (vendor/libsodium): a sealed
// box (crypto_box_seal) per value, and for a protected file an argon2id-derived secretbox key.

const PREFIX = "sealed:";
const FORMAT = "undersign-seal-key";

/** The open keys: {publicKey (base64), privateKey (bytes)}. */
const keys = [];
let sodium = null;

/** A key file that cannot be used; `reason` names the locale text that says why. */
export class KeyFileError extends Error {
  constructor(reason) {
    super(reason);
    this.reason = reason;
  }
}

/** Load libsodium on first use: half a megabyte that only a sealed petition needs. */
async function library() {
  if (!sodium) {
    const module = await import("./vendor/libsodium/libsodium-wrappers.js");
    await module.ready;
    sodium = module.default;
  }
  return sodium;
}

export const isSealed = (value) => typeof value === "string" && value.startsWith(PREFIX);
export const openKeys = () => keys.map((key) => key.publicKey);

/** The key file's document, if it is one; throws KeyFileError("not_a_key_file") otherwise. */
export function readKeyFile(text) {
  let document = null;
  try {
    document = JSON.parse(text);
  } catch {
    // not JSON: said below
  }
  if (!document || typeof document !== "object" || document.format !== FORMAT) {
    throw new KeyFileError("not_a_key_file");
  }
  return document;
}

export const needsPassphrase = (document) => "passphrase" in document;

/** A key file's private key (with its passphrase, if it has one) and the public key it makes. */
async function privateKeyOf(document, passphrase) {
  const na = await library();
  const bytes = (text) => na.from_base64(text, na.base64_variants.ORIGINAL);
  let privateKey;
  try {
    privateKey = needsPassphrase(document)
      ? unlock(na, document, passphrase, bytes)
      : bytes(document.private_key);
  } catch (error) {
    if (error instanceof KeyFileError) throw error;
    throw new KeyFileError("not_a_key_file");
  }
  if (privateKey.length !== na.crypto_box_SECRETKEYBYTES) throw new KeyFileError("not_a_key_file");
  const publicKey = na.to_base64(na.crypto_scalarmult_base(privateKey), na.base64_variants.ORIGINAL);
  return { publicKey, privateKey };
}

/** Open a key file's private key (with its passphrase, if it has one) and keep it; answer its public key. */
export async function addKey(document, passphrase = "") {
  const { publicKey, privateKey } = await privateKeyOf(document, passphrase);
  if (!keys.some((key) => key.publicKey === publicKey)) keys.push({ publicKey, privateKey });
  return publicKey;
}

/**
 * The public key a key file opens to with `passphrase`, the private key wiped at once and
 * kept nowhere: how the page checks that a file just saved can be opened.
 */
export async function publicKeyOf(document, passphrase) {
  const { publicKey, privateKey } = await privateKeyOf(document, passphrase);
  sodium.memzero(privateKey);
  return publicKey;
}

/**
 * A new key pair, made in this browser: the key file's text, exactly as `undersign keys
 * generate --passphrase` writes it (server/undersign/core/sealing.py: the private key in a
 * secretbox under an argon2id key, "moderate" limits, the nonce before the box), and the
 * public key, the only part that is ever sent.
 */
export async function makeKeyFile(passphrase) {
  const na = await library();
  const text64 = (raw) => na.to_base64(raw, na.base64_variants.ORIGINAL);
  const pair = na.crypto_box_keypair();
  const salt = na.randombytes_buf(na.crypto_pwhash_SALTBYTES);
  const opslimit = na.crypto_pwhash_OPSLIMIT_MODERATE;
  const memlimit = na.crypto_pwhash_MEMLIMIT_MODERATE;
  const secret = na.crypto_pwhash(na.crypto_secretbox_KEYBYTES, passphrase, salt, opslimit, memlimit,
    na.crypto_pwhash_ALG_ARGON2ID13);
  const nonce = na.randombytes_buf(na.crypto_secretbox_NONCEBYTES);
  const box = na.crypto_secretbox_easy(pair.privateKey, nonce, secret);
  const boxed = new Uint8Array(nonce.length + box.length);
  boxed.set(nonce);
  boxed.set(box, nonce.length);
  na.memzero(secret);
  na.memzero(pair.privateKey);
  const publicKey = text64(pair.publicKey);
  const document = {
    format: FORMAT,
    version: 1,
    public_key: publicKey,
    passphrase: { kdf: "argon2id", salt: text64(salt), opslimit, memlimit },
    private_key_box: text64(boxed),
  };
  return { publicKey, text: JSON.stringify(document, null, 2) + "\n" };
}

/** The private key inside a protected file: argon2id over the passphrase opens its secretbox. */
function unlock(na, document, passphrase, bytes) {
  const kdf = document.passphrase;
  if (kdf.kdf !== "argon2id") throw new KeyFileError("not_a_key_file");
  const secret = na.crypto_pwhash(na.crypto_secretbox_KEYBYTES, passphrase, bytes(kdf.salt),
    Number(kdf.opslimit), Number(kdf.memlimit), na.crypto_pwhash_ALG_ARGON2ID13);
  const box = bytes(document.private_key_box);
  const nonce = box.subarray(0, na.crypto_secretbox_NONCEBYTES);
  try {
    return na.crypto_secretbox_open_easy(box.subarray(na.crypto_secretbox_NONCEBYTES), nonce, secret);
  } catch {
    throw new KeyFileError("wrong_passphrase");
  } finally {
    na.memzero(secret);
  }
}

/** Forget every key: overwrite the bytes, then drop them. */
export function forgetKeys() {
  for (const key of keys) sodium.memzero(key.privateKey);
  keys.length = 0;
}

/** A value opened with whichever open key it was sealed to; as it was when plain or unopenable. */
export function open(value) {
  if (!isSealed(value) || !keys.length) return value;
  const na = sodium;
  let sealed;
  try {
    sealed = na.from_base64(value.slice(PREFIX.length), na.base64_variants.ORIGINAL);
  } catch {
    return value; // damaged: shown as sealed
  }
  for (const key of keys) {
    try {
      const publicKey = na.from_base64(key.publicKey, na.base64_variants.ORIGINAL);
      return na.to_string(na.crypto_box_seal_open(sealed, publicKey, key.privateKey));
    } catch {
      // sealed to another key (a rotation): try the next
    }
  }
  return value;
}

const PERSONAL = ["name", "email", "postcode", "city", "comment"];

/** A signature as the API gave it, with every sealed value this tab can open opened. */
export function openSignature(signature) {
  const opened = { ...signature };
  for (const field of PERSONAL) opened[field] = open(signature[field]);
  return opened;
}
