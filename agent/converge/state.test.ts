import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readState, writeState } from "./state";

const log = pino({ level: "silent" });
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "netlens-state-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("agent state", () => {
  it("keeps the revision and the settled digests (null: unknown) across a write and a read", async () => {
    const path = join(dir, "state.json");
    const settled = new Map<string, string | null>([
      ["qrouter-a", "digest-a"],
      ["qprobe-b", null],
    ]);
    const owned = new Set(["qrouter-a", "qprobe-b"]);
    await writeState(path, { applied_revision: 7, settled, owned });
    expect(await readState(path, log)).toEqual({ applied_revision: 7, settled, owned });
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({
      applied_revision: 7,
      settled: { "qrouter-a": "digest-a", "qprobe-b": null },
      owned: ["qprobe-b", "qrouter-a"],
    });
  });

  it("starts from nothing when the file is missing or unreadable, instead of refusing to start", async () => {
    const path = join(dir, "state.json");
    const empty = { applied_revision: 0, settled: new Map(), owned: new Set() };
    expect(await readState(path, log)).toEqual(empty);
    await writeFile(path, '{"applied_revision": 12, "settled": {"qrouter-a": "d');
    expect(await readState(path, log)).toEqual(empty);
  });
});
