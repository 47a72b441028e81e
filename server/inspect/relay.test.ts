// The relay against a stand-in agent over real HTTP + SSE (./stand-in-agent.testing.ts): it keeps the whole
// snapshot, turns offline when the agent goes away, and comes back by itself, resuming, when the agent returns
// on the same address. Default options on purpose: the server runs the relay with them.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { agents } from "../db/schema";
import { createTestApi } from "../testkit";
import { HostRelay, type RelayStatus } from "./relay";
import { Inspection } from "./service";
import { serve, TOKEN, until } from "./stand-in-agent.testing";

const logger = pino({ level: "silent" });

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const step of cleanup.reverse()) step();
  cleanup = [];
});

describe("HostRelay", () => {
  it("keeps the latest snapshot, goes offline with the agent and back online when it returns", async () => {
    const text = { value: "one" };
    let agent = await serve(text);
    cleanup.push(() => agent.stop());
    // Through Inspection with the server's defaults, as services.ts starts it.
    const dir = await mkdtemp(join(tmpdir(), "netlens-relay-"));
    await writeFile(join(dir, "token"), `${TOKEN}\n`);
    const api = await createTestApi();
    const inspection = new Inspection({ db: api.db, bus: api.bus, logger });
    cleanup.push(() => {
      inspection.close();
      void api.close();
      void rm(dir, { recursive: true, force: true });
    });
    // The agent's row, as its dispatcher left it: heard from just now.
    await api.db.insert(agents).values({ url: agent.url, host: "h1", lastSeen: new Date() });
    const online = async () => (await api.caller.host.list())[0]?.online;
    const relay = inspection.addAgent({ url: agent.url, tokenFile: join(dir, "token") });
    const statuses: RelayStatus[] = [];
    relay.on((e) => {
      if (e.type === "status") statuses.push(e.status);
    });
    const ovsText = () => {
      const ovs = relay.snapshot()?.sections.ovs;
      return ovs?.kind === "ovs" ? ovs.text : undefined;
    };
    expect(await until(() => (ovsText() === "one" ? true : undefined))).toBe(true);
    expect(relay.status()).toMatchObject({ online: true, host: "h1", info: { chain_prefix: "tnat" } });
    text.value = "two";
    await until(() => (ovsText() === "two" ? true : undefined));

    const port = Number(new URL(agent.url).port);
    const wentDown = Date.now();
    agent.stop();
    await until(() => (relay.status().online ? undefined : true));
    expect(Date.now() - wentDown).toBeLessThan(2_000);
    expect(relay.status().last_seen).not.toBeNull();
    expect(relay.snapshot()?.sections.ovs).toBeDefined();
    // The one liveness hears the stream: `host list` (and the scheduler) say it is down within the heartbeat.
    await vi.waitFor(async () => expect(await online()).toBe(false), { timeout: 2_000 });

    text.value = "three";
    agent = await serve(text, port);
    const cameBack = Date.now();
    await until(() => (relay.status().online && ovsText() === "three" ? true : undefined), 8_000);
    // The backoff starts at 250 ms and doubles while the agent is away (here about 0.5 s): back within seconds.
    expect(Date.now() - cameBack).toBeLessThan(6_000);
    expect(statuses.map((s) => s.online)).toEqual([
      true,
      false,
      ...statuses.slice(2).map(() => expect.anything()),
    ]);
    expect(statuses.at(-1)?.online).toBe(true);
    await vi.waitFor(async () => expect(await online()).toBe(true), { timeout: 2_000 });
  });

  it("stays offline with the reason when the token is refused", async () => {
    const agent = await serve({ value: "x" });
    cleanup.push(() => agent.stop());
    const dir = await mkdtemp(join(tmpdir(), "netlens-relay-"));
    await writeFile(join(dir, "token"), "wrong-token\n");
    const relay = new HostRelay({ url: agent.url, tokenFile: join(dir, "token"), logger });
    cleanup.push(() => {
      relay.stop();
      void rm(dir, { recursive: true, force: true });
    });
    relay.start();
    const status = await until(() => (relay.status().last_error ? relay.status() : undefined));
    expect(status.online).toBe(false);
    expect(status.last_error).toMatch(/UNAUTHORIZED/);
    expect(relay.snapshot()).toBeNull();
  });
});
