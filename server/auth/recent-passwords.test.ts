// Remembered password checks: a repeated correct password skips the hash, a wrong or changed one never does, and
// entries expire and stay bounded. The verifier is the real scrypt one at a low cost, counted.
import { beforeAll, describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "./password";
import { RecentPasswords } from "./recent-passwords";

const CHEAP = { N: 2 ** 10, r: 8, p: 1 };
let stored: string;
beforeAll(async () => {
  stored = await hashPassword("correct horse", CHEAP);
});

/** A cache over a fake clock and a verifier that counts its scrypt runs. */
function setup(policy = { ttlMs: 1000, maxEntries: 3 }) {
  const clock = { now: 0 };
  const counted = { scrypts: 0 };
  const cache = new RecentPasswords(
    policy,
    () => clock.now,
    (password, hash) => {
      counted.scrypts++;
      return verifyPassword(password, hash);
    },
  );
  return { cache, clock, counted };
}

describe("RecentPasswords", () => {
  it("checks a correct password once by scrypt, then from memory", async () => {
    const { cache, counted } = setup();
    expect(await cache.check("u1", stored, "correct horse")).toBe(true);
    expect(await cache.check("u1", stored, "correct horse")).toBe(true);
    expect(await cache.check("u1", stored, "correct horse")).toBe(true);
    expect(counted.scrypts).toBe(1);
  });

  it("runs scrypt for every wrong password, even after the right one", async () => {
    const { cache, counted } = setup();
    expect(await cache.check("u1", stored, "correct horse")).toBe(true);
    expect(await cache.check("u1", stored, "wrong horse")).toBe(false);
    expect(await cache.check("u1", stored, "wrong horse")).toBe(false);
    expect(counted.scrypts).toBe(3);
    expect(cache.size).toBe(1);
  });

  it("does not match another user's or a changed password's entry", async () => {
    const { cache, counted } = setup();
    expect(await cache.check("u1", stored, "correct horse")).toBe(true);
    const changed = await hashPassword("battery staple", CHEAP);
    expect(await cache.check("u1", changed, "correct horse")).toBe(false);
    expect(await cache.check("u1", changed, "battery staple")).toBe(true);
    expect(await cache.check("u2", stored, "correct horse")).toBe(true);
    expect(counted.scrypts).toBe(4);
  });

  it("forgets a verification once its time is up", async () => {
    const { cache, clock, counted } = setup();
    await cache.check("u1", stored, "correct horse");
    clock.now = 999;
    await cache.check("u1", stored, "correct horse");
    expect(counted.scrypts).toBe(1);
    clock.now = 1000;
    await cache.check("u1", stored, "correct horse");
    expect(counted.scrypts).toBe(2);
    // Renewed by that scrypt, from its time.
    clock.now = 1999;
    await cache.check("u1", stored, "correct horse");
    expect(counted.scrypts).toBe(2);
  });

  it("keeps at most maxEntries, forgetting the least recently used", async () => {
    const { cache, counted } = setup({ ttlMs: 60_000, maxEntries: 3 });
    for (const user of ["a", "b", "c"]) await cache.check(user, stored, "correct horse");
    await cache.check("a", stored, "correct horse"); // a is now the most recent
    await cache.check("d", stored, "correct horse"); // b goes
    expect(cache.size).toBe(3);
    expect(counted.scrypts).toBe(4);
    for (const user of ["a", "c", "d"]) await cache.check(user, stored, "correct horse");
    expect(counted.scrypts).toBe(4);
    await cache.check("b", stored, "correct horse");
    expect(counted.scrypts).toBe(5);
    expect(cache.size).toBe(3);
  });
});
