// Two servers on one PostgreSQL, each with its own pool, event bus and dispatcher: a change made through one
// reaches the other's subscribers (each event once on each server), and one agent gets each revision once, in
// order, from whichever dispatcher leads. Needs TEST_DATABASE_URL (scripts/with-postgres.sh sets it for `npm test`).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Dispatcher } from "./agents/dispatcher";
import { FakeAgent } from "./agents/fake-agent.testing";
import { advisoryLeadership } from "./agents/leadership";
import { waitForApplied, wantedRevision } from "./agents/wait";
import { createCaller } from "./api/root";
import { agents } from "./db/schema";
import { type Target, testTargets } from "./db/targets";
import type { ChangeEvent } from "./events";
import { EVENTS_CHANNEL, type SharedEvents, shareEvents } from "./events-postgres";
import type { HostRelay } from "./inspect/relay";
import { Inspection } from "./inspect/service";
import { serve, TOKEN, until } from "./inspect/stand-in-agent.testing";
import { createTestApi, type TestApi } from "./testkit";

const postgres = testTargets.find((t) => t.name === "postgres");
const silent = pino({ level: "silent" });

type Server = { api: TestApi; connect: NonNullable<TestApi["connect"]>; events: SharedEvents };

async function startServer(url: string | undefined, retryMs = 50): Promise<Server> {
  const api = await createTestApi({ url });
  const connect = api.connect;
  if (!connect) throw new Error("A PostgreSQL database gives connections of its own");
  return { api, connect, events: await shareEvents(api.bus, connect, silent, retryMs) };
}

function dispatcherOf(server: Server, agent: FakeAgent): Dispatcher {
  return new Dispatcher({
    db: server.api.db,
    bus: server.api.bus,
    agent,
    url: "http://agent.test",
    logger: silent,
    retry: { minMs: 10, maxMs: 50 },
    heartbeatMs: 50,
    leadership: advisoryLeadership(server.connect, silent),
  });
}

/** Every event the admin's `events` subscription on `server` yields, as it comes. */
function subscribe(server: Server, signal: AbortSignal): Pick<ChangeEvent, "kind" | "id" | "action">[] {
  const seen: Pick<ChangeEvent, "kind" | "id" | "action">[] = [];
  void (async () => {
    for await (const event of await createCaller(server.api.ctx, { signal }).events()) seen.push(event);
  })();
  return seen;
}

const settle = async (server: Server) =>
  expect(await waitForApplied(server.api.services, await wantedRevision(server.api.db), 10_000)).toBe(true);

const skipped = postgres ? "" : " (skipped: TEST_DATABASE_URL is not set; scripts/with-postgres.sh sets it)";

describe.skipIf(!postgres)(`two servers on one PostgreSQL${skipped}`, () => {
  let target: Target | undefined;
  let a: Server;
  let b: Server;
  let admin: pg.Client;
  /** The server processes' connections made for `purpose` (pg_stat_activity's application_name). */
  const connections = async (purpose: string) => {
    const { rows } = await admin.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
      [purpose],
    );
    return rows.map((r) => r.pid);
  };
  /** Ends connections from the database's side, as an administrator or a failover would. */
  const endConnections = async (pids: number[]) => {
    await admin.query("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", [pids]);
  };
  beforeAll(async () => {
    target = await postgres?.setUp();
    a = await startServer(target?.url);
    b = await startServer(target?.url);
    admin = new pg.Client({ connectionString: target?.url });
    await admin.connect();
  }, 60_000);
  afterAll(async () => {
    await admin?.end();
    for (const server of [a, b]) {
      await server?.events.close();
      await server?.api.close();
    }
    await target?.drop();
  });

  it("delivers a network created through A to B's subscribers, and every event once on each server", async () => {
    const controller = new AbortController();
    const onA = subscribe(a, controller.signal);
    const onB = subscribe(b, controller.signal);
    const made = await a.api.caller.network.create({ name: "made-on-a" });
    const madeEvent = { kind: "network", id: made.id, action: "create" };
    await vi.waitFor(() => expect(onB).toContainEqual(madeEvent), { timeout: 5_000 });
    // B's change follows A's on the channel: once both servers have it, a second copy of A's would be in.
    const next = await b.api.caller.network.create({ name: "made-on-b" });
    const nextEvent = { kind: "network", id: next.id, action: "create" };
    await vi.waitFor(() => expect(onA).toContainEqual(nextEvent), { timeout: 5_000 });
    await vi.waitFor(() => expect(onB).toContainEqual(nextEvent), { timeout: 5_000 });
    controller.abort();
    for (const seen of [onA, onB]) {
      expect(seen.filter((e) => e.id === made.id)).toEqual([madeEvent]);
      expect(seen.filter((e) => e.id === next.id)).toEqual([nextEvent]);
    }
  });

  it("listens again after PostgreSQL ended the event channels' connections, past a notification not its own", async () => {
    await admin.query("SELECT pg_notify($1, 'not an event')", [EVENTS_CHANNEL]);
    const before = await connections("netlens events");
    expect(before).toHaveLength(2);
    await endConnections(before);
    await vi.waitFor(
      async () => {
        const now = await connections("netlens events");
        expect(now).toHaveLength(2);
        expect(now.filter((pid) => before.includes(pid))).toEqual([]);
      },
      { timeout: 5_000, interval: 50 },
    );
    const controller = new AbortController();
    const onB = subscribe(b, controller.signal);
    const made = await a.api.caller.network.create({ name: "after-reconnect" });
    await vi.waitFor(() => expect(onB).toContainEqual({ kind: "network", id: made.id, action: "create" }), {
      timeout: 5_000,
    });
    controller.abort();
  });

  it("sends what a server emitted while its channel was down once it is back, and has its subscribers resync", async () => {
    const before = await connections("netlens events");
    // A third server that waits long enough before reconnecting for a change to be made through it meanwhile.
    const c = await startServer(target?.url, 1_500);
    try {
      const controller = new AbortController();
      const onB = subscribe(b, controller.signal);
      const onC = subscribe(c, controller.signal);
      const [cs] = (await connections("netlens events")).filter((pid) => !before.includes(pid));
      if (cs === undefined) throw new Error("no event connection of C's");
      await endConnections([cs]);
      await vi.waitFor(async () => expect(await connections("netlens events")).not.toContain(cs), {
        timeout: 5_000,
        interval: 20,
      });
      const made = await c.api.caller.network.create({ name: "made-while-c-was-deaf" });
      const madeEvent = { kind: "network", id: made.id, action: "create" };
      expect(onC).toContainEqual(madeEvent);
      expect(onB).not.toContainEqual(madeEvent);
      await vi.waitFor(() => expect(onB).toContainEqual(madeEvent), { timeout: 5_000 });
      await vi.waitFor(() => expect(onC).toContainEqual({ kind: "project", id: "*", action: "resync" }));
      controller.abort();
      expect(onB.filter((e) => e.id === made.id)).toEqual([madeEvent]);
      expect(onB).not.toContainEqual({ kind: "project", id: "*", action: "resync" });
    } finally {
      await c.events.close();
      await c.api.close();
    }
  });

  it("has one agent apply each revision once, in order, and hands the lead over when its holder stops", async () => {
    const agent = new FakeAgent();
    const onA = dispatcherOf(a, agent);
    const onB = dispatcherOf(b, agent);
    try {
      await onA.start();
      await onB.start();
      await vi.waitFor(() => expect(agent.pushes.length).toBeGreaterThan(0));
      await settle(a);
      // Changes through both servers, each kicking both dispatchers (B's through the event channel).
      for (let i = 0; i < 3; i++) {
        await a.api.caller.network.create({ name: `on-a-${i}` });
        await b.api.caller.network.create({ name: `on-b-${i}` });
      }
      await settle(a);
      // The lead's connection ends (its server's host died, say): the lead is taken again at a heartbeat.
      await endConnections(await connections("netlens dispatcher"));
      await b.api.caller.network.create({ name: "after-the-lead-ended" });
      await settle(b);
      const beforeHandOver = agent.pushes.length;
      await onA.stop();
      // Only B's dispatcher is left: it takes the lead at its next heartbeat and pushes this change.
      await a.api.caller.network.create({ name: "after-a-stopped" });
      await settle(a);
      expect(agent.pushes.length).toBeGreaterThan(beforeHandOver);
      expect(agent.applied).toBe(await wantedRevision(b.api.db));
      // What the leader recorded of the host (revision, last contact, errors) is what B's pages read; read once B
      // stopped checking in (every 50 ms here), which would otherwise move the last contact between the two reads.
      await onB.stop();
      expect(await b.api.caller.host.list()).toEqual(await a.api.caller.host.list());
    } finally {
      await onA.stop();
      await onB.stop();
    }
    const revisions = agent.pushes.map((p) => p.revision);
    // The fake fails a revision it already has: a second push of one would be an attempt without a push.
    expect(agent.attempts).toBe(agent.pushes.length);
    expect(revisions).toEqual([...new Set(revisions)].sort((x, y) => x - y));
  });

  it("pushes, from the leading server, a repair and the auto-repair setting asked through the other", async () => {
    const agent = new FakeAgent();
    const onA = dispatcherOf(a, agent);
    const onB = dispatcherOf(b, agent);
    try {
      await onA.start();
      await onB.start();
      await vi.waitFor(() => expect(agent.pushes.length).toBeGreaterThan(0));
      await settle(a);
      const pushed = agent.pushes.length;
      await onB.repair(["router-1", "router-2"]);
      await settle(a);
      expect(agent.pushes.slice(pushed).map((p) => p.repair)).toEqual([["router-1", "router-2"]]);
      expect((await a.api.db.select().from(agents))[0]?.repairTargets).toEqual([]);
      await onB.setAutoRepair(true);
      expect(await onA.autoRepair()).toBe(true);
      await b.api.caller.network.create({ name: "auto-repaired" });
      await settle(b);
      expect(agent.pushes.at(-1)?.repair).toBe("all");
    } finally {
      await onA.stop();
      await onB.stop();
    }
  });

  it("shows through B the host snapshot A shows: each server relays the agent itself", async () => {
    const text = { value: "one" };
    const agent = await serve(text);
    const dir = await mkdtemp(join(tmpdir(), "netlens-two-servers-"));
    const inspections = [a, b].map(
      (server) => new Inspection({ db: server.api.db, bus: server.api.bus, logger: silent }),
    );
    try {
      await writeFile(join(dir, "token"), `${TOKEN}\n`);
      const relays = inspections.map((i) => i.addAgent({ url: agent.url, tokenFile: join(dir, "token") }));
      const ovsText = (relay: HostRelay) => {
        const ovs = relay.snapshot()?.sections.ovs;
        return ovs?.kind === "ovs" ? ovs.text : undefined;
      };
      for (const value of ["one", "two"]) {
        text.value = value;
        await until(() => (relays.every((r) => ovsText(r) === value) ? true : undefined));
      }
      expect(relays.map((r) => r.status())).toEqual(
        relays.map(() => expect.objectContaining({ online: true, host: "h1" })),
      );
    } finally {
      for (const inspection of inspections) inspection.close();
      agent.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
