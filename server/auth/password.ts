// Password hashing: scrypt (memory-hard, in node:crypto) with a per-user random salt. The parameters are stored
// with each hash, so that they can be raised later without invalidating existing passwords.
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";

const KEY_LENGTH = 64;
const SALT_BYTES = 16;
/**
 * OWASP's scrypt baseline: N=2^17, r=8, p=1, 128 MiB and a few hundred ms per hash. Memory stays bounded under a
 * flood of logins: node:crypto runs scrypt on libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says
 * otherwise), and the login throttle refuses before hashing.
 */
const DEFAULT_COST = { N: 2 ** 17, r: 8, p: 1 };

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64url): self-describing, like a PHC string. */
export async function hashPassword(password: string, cost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, cost);
  return ["scrypt", cost.N, cost.r, cost.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** Whether a stored hash was made with other parameters than today's: a login then hashes it again. */
export function needsRehash(stored: string): boolean {
  const [scheme, n, r, p] = stored.split("$");
  return (
    scheme !== "scrypt" ||
    Number(n) !== DEFAULT_COST.N ||
    Number(r) !== DEFAULT_COST.r ||
    Number(p) !== DEFAULT_COST.p
  );
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, "base64url");
  const key = await derive(password, Buffer.from(salt, "base64url"), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  // Constant time: how much of a guess matched must not show in the answer's timing.
  return key.length === expected.length && timingSafeEqual(key, expected);
}

let dummy: Promise<string> | undefined;

/**
 * A hash to check a password against when the user does not exist, so that "no such user" costs the same
 * scrypt as "wrong password" and timing does not tell which names exist.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString("hex"));
  return dummy;
}

/** A password people can copy from a terminal: 24 base64url characters (144 bits). */
export const randomPassword = () => randomBytes(18).toString("base64url");
