// The trace's `ip -batch` processes kept open per namespace, against real namespaces: answers land on the lines
// that asked them across batches, a device made again under the same name is still answered for (ip's stale
// name cache), a namespace made again under the same name is asked afresh, and idle processes close.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nsExec } from "../testing/host";
import { run } from "./exec";
import { type IpResult, IpSessions } from "./ip-session";

const tag = randomBytes(2).toString("hex");
const ns = `t${tag}-ipbatch`;
const outer = `t${tag}a`;
const inner = `t${tag}b`;
const sessions = new IpSessions();

async function makeNamespace(address: string): Promise<void> {
  await run("ip", ["netns", "add", ns]);
  await run("ip", ["-n", ns, "link", "set", "lo", "up"]);
  await run("ip", ["-n", ns, "addr", "add", `${address}/32`, "dev", "lo"]);
}

/** A veth whose inner end sits in the namespace with 198.51.100.2/24. */
async function makeVeth(): Promise<void> {
  await run("ip", ["link", "add", outer, "type", "veth", "peer", "name", inner, "netns", ns]);
  await run("ip", ["-n", ns, "addr", "add", "198.51.100.2/24", "dev", inner]);
  await run("ip", ["-n", ns, "link", "set", inner, "up"]);
  await run("ip", ["link", "set", outer, "up"]);
}

async function removeAll(): Promise<void> {
  await run("ip", ["link", "del", outer], { allowFailure: true });
  await run("ip", ["netns", "del", ns], { allowFailure: true });
}

const route = (result: IpResult | undefined) =>
  result?.ok ? ((result.json as { type?: string; dev?: string; iif?: string }[])[0] ?? null) : null;

beforeAll(async () => {
  await removeAll();
  await makeNamespace("198.51.100.40");
  await makeVeth();
});

afterAll(async () => {
  sessions.close();
  await removeAll();
});

describe("ip -batch kept open per namespace", () => {
  it("answers each line of batch after batch, failures on the lines that failed", async () => {
    const first = await sessions.run(ns, ["route get 198.51.100.40", "route get 192.0.2.9", "addr show"]);
    expect(route(first[0])).toMatchObject({ type: "local", dev: "lo" });
    expect(first[1]).toEqual({ ok: false, error: expect.stringMatching(/unreachable/i) });
    expect(first[2]?.ok && JSON.stringify(first[2].json)).toContain(inner);
    // The process is still open; ip numbers lines across batches.
    expect(sessions.size).toBe(1);
    const second = await sessions.run(ns, ["route get 192.0.2.9", "route get 198.51.100.7"]);
    expect(second[0]?.ok).toBe(false);
    expect(route(second[1])).toMatchObject({ dev: inner });
  });

  it("a device made again under the same name is answered for (asked again of a new process)", async () => {
    const line = `route get 198.51.100.40 from 198.51.100.9 iif ${inner}`;
    expect(route((await sessions.run(ns, [line]))[0])).toMatchObject({ type: "local", iif: inner });
    await run("ip", ["link", "del", outer]);
    await makeVeth();
    expect(route((await sessions.run(ns, [line]))[0])).toMatchObject({ type: "local", iif: inner });
  });

  it("a namespace made again under the same name is asked afresh", async () => {
    await sessions.run(ns, ["route get 198.51.100.40"]);
    await removeAll();
    await makeNamespace("198.51.100.41");
    const [answer] = await sessions.run(ns, ["route get 198.51.100.41"]);
    expect(route(answer)).toMatchObject({ type: "local", dev: "lo" });
    expect((await nsExec(ns, ["ip", "-o", "addr", "show", "dev", "lo"])).stdout).toContain("198.51.100.41");
  });

  it("a namespace that is gone gets ip's own error, and idle processes close", async () => {
    const brief = new IpSessions({ idleMs: 100 });
    await brief.run(ns, ["route get 198.51.100.41"]);
    expect(brief.size).toBe(1);
    await expect.poll(() => brief.size, { timeout: 10_000 }).toBe(0);
    const [gone] = await brief.run(`t${tag}-nosuchns`, ["route get 198.51.100.41"]);
    expect(gone?.ok).toBe(false);
    brief.close();
  });
});
