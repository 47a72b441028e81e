// Host inspection against a real host (private OVS sandbox, namespaces, iptables), consumed the way the server
// consumes it: a tRPC client over HTTP with the bearer token, the subscription over SSE. A DNAT rule deleted by
// hand shows up as a changed nat section; a ping from the uplink moves the rule's counters.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostSections, NatSection, OvsPortsSection } from "../../lib/host-snapshot";
import { deviceNames, namespaceNames } from "../../lib/names";
import { type Agent, createAgent } from "../agent";
import { serveAgent } from "../api/http";
import type { SnapshotEvent } from "../contract/snapshot";
import { run } from "../host/exec";
import type { AgentOptionsInput } from "../options";
import { type AgentTestClient, createAgentTestClient } from "../testing/client";
import { namespacesWithPrefix, nsExec, pingOnce, type Sandbox, startSandbox } from "../testing/host";
import { ids, labIntent } from "../testing/intent";

const tag = randomBytes(2).toString("hex");
const prefix = `i${tag}-`;
const chainPrefix = `i${tag}`;
const routerNs = namespaceNames.router(prefix, ids.router);
const uplinkNs = namespaceNames.uplink(prefix, ids.external);
const natKey = `netns/${routerNs}/nat` as const;
const dnat = `-A ${chainPrefix}-PREROUTING -d 203.0.113.20/32 -j DNAT --to-destination 10.0.0.5`;
const token = randomBytes(16).toString("hex");
const logger = pino({ level: process.env.NETLENS_TEST_LOG ?? "silent" });

let sandbox: Sandbox | undefined;
let agent: Agent | undefined;
let http: { url: string; close: () => Promise<void> } | undefined;
let options: AgentOptionsInput | undefined;

/** (Re)starts the agent and its HTTP server with this poll interval; the applied state stays on disk. */
async function start(inspectIntervalMs: number): Promise<AgentTestClient> {
  if (options === undefined) throw new Error("no options");
  await http?.close();
  await agent?.close();
  agent = await createAgent({ ...options, inspectIntervalMs }, logger);
  http = await serveAgent(agent, token, { host: "127.0.0.1", port: 0 });
  return createAgentTestClient(http.url, token);
}

function need(): Agent {
  if (agent === undefined) throw new Error("agent not started");
  return agent;
}

/** A live subscription: events as they arrive, and a wait for one that matches. */
function watch(client: AgentTestClient) {
  const events: SnapshotEvent[] = [];
  const errors: unknown[] = [];
  const subscription = client.snapshots.subscribe(undefined, {
    onData: (tracked) => events.push(tracked.data),
    onError: (error) => errors.push(error),
  });
  let seen = 0;
  const next = async (
    match: (event: SnapshotEvent) => boolean,
    timeoutMs: number,
  ): Promise<SnapshotEvent> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (seen < events.length) {
        const event = events[seen++];
        if (event !== undefined && match(event)) return event;
      }
      if (errors.length > 0) throw errors[0];
      if (Date.now() > deadline)
        throw new Error(`no matching event within ${timeoutMs} ms (${events.length} seen)`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  return { events, next, stop: () => subscription.unsubscribe() };
}

function sectionsOf(event: SnapshotEvent): HostSections {
  return event.type === "full" ? event.sections : event.changed;
}

function natOf(sections: HostSections): NatSection | undefined {
  const section = sections[natKey];
  return section?.kind === "nat" ? section : undefined;
}

function dnatPackets(section: NatSection | undefined): number {
  return section?.rules.find((r) => r.rule === dnat)?.packets ?? -1;
}

afterAll(async () => {
  try {
    await http?.close();
    if (agent !== undefined) {
      expect((await agent.cleanup()).errors).toEqual([]);
      await agent.close();
    }
    expect(await namespacesWithPrefix(prefix)).toEqual([]);
  } finally {
    for (const ns of await namespacesWithPrefix(prefix))
      await run("ip", ["netns", "del", ns], { allowFailure: true });
    await sandbox?.stop();
  }
});

beforeAll(async () => {
  sandbox = await startSandbox(`inspect-${tag}`);
  options = {
    ovsdb: sandbox.db,
    integrationBridge: `i${tag}-int`,
    bridgeMappings: { public: `i${tag}-ex` },
    datapathType: (process.env.NETLENS_TEST_DATAPATH ?? "dummy") as "dummy" | "netdev",
    prefix,
    chainPrefix,
    stateDir: join(sandbox.dir, "agent"),
  };
});

describe("host inspection on a real host", () => {
  it("answers `snapshot` with the router's nat text and the instance's OVS port with its tag", async () => {
    // Polling so slow that only an apply can explain an event before it.
    const client = await start(600_000);
    expect((await need().apply(labIntent(1))).errors).toEqual([]);
    const snapshot = await client.snapshot.query();
    expect(snapshot.seq).toBeGreaterThan(0);

    const nat = natOf(snapshot.sections);
    expect(nat?.text).toContain(`${dnat}\n`);
    expect(nat?.text).toMatch(/^\*nat\n/);
    expect(nat?.text).not.toContain("# Generated by");
    expect(nat?.rules.map((r) => r.rule)).toContain(dnat);

    const ports = snapshot.sections.ovsPorts as OvsPortsSection | undefined;
    const instancePort = ports?.ports.find((p) => p.name === deviceNames.tap(ids.instancePort));
    const routerPort = ports?.ports.find((p) => p.name === deviceNames.tap(ids.interfacePort));
    expect(instancePort?.bridge).toBe(`i${tag}-int`);
    expect(instancePort?.tag).toEqual(expect.any(Number));
    // The instance and the router's interface share the tenant network, hence its local VLAN.
    expect(instancePort?.tag).toBe(routerPort?.tag);
    expect(instancePort?.interfaces[0]?.external_ids["iface-id"]).toBe(ids.instancePort);
    const patch = ports?.ports.find((p) => p.name === `int-i${tag}-ex`);
    expect(patch?.interfaces[0]).toMatchObject({ type: "patch", options: { peer: `phy-i${tag}-ex` } });

    const show = snapshot.sections.ovs;
    expect(show?.kind === "ovs" ? show.text : "").toContain(
      `Port ${deviceNames.tap(ids.instancePort)}\n            tag: ${instancePort?.tag}\n`,
    );
    expect(snapshot.sections.revision).toMatchObject({ applied_revision: 1 });
    expect(snapshot.sections[`netns/${uplinkNs}/addr`]).toMatchObject({ kind: "addr", namespace: uplinkNs });
    expect(snapshot.sections[`netns/${uplinkNs}/nat`]).toBeUndefined();
    const routes = snapshot.sections[`netns/${routerNs}/routes`];
    expect(routes?.kind === "routes" ? routes.routes : []).toContainEqual(
      expect.objectContaining({ dst: "default", gateway: "203.0.113.1" }),
    );
    expect(snapshot.sections.health).toMatchObject({ last_error: null, last_apply_at: expect.any(String) });
  });

  it("refuses `snapshot` and `snapshots` without the token", async () => {
    if (http === undefined) throw new Error("no server");
    const anonymous = createAgentTestClient(http.url, null);
    await expect(anonymous.snapshot.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
    // SSE answers 200 and then an error event: the client ends the subscription with it, no data sent.
    const stream = watch(anonymous);
    try {
      await expect(stream.next(() => true, 5_000)).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
      expect(stream.events).toEqual([]);
    } finally {
      stream.stop();
    }
  });

  it("streams the full snapshot first, then the sections an apply changed, right after the apply", async () => {
    if (http === undefined) throw new Error("no server");
    // New devices' IPv6 link-local addresses leave DAD ("tentative") a second or two after they come up: a real
    // change of the addr sections, which this test must not take for one the apply made.
    for (const ns of await namespacesWithPrefix(prefix)) await untilNoTentative(ns);
    const stream = watch(createAgentTestClient(http.url, token));
    try {
      const full = await stream.next((e) => e.type === "full", 10_000);
      expect(natOf(sectionsOf(full))?.text).toContain(dnat);
      expect((await need().apply(labIntent(2))).changes).toBe(0);
      const delta = await stream.next((e) => e.type === "delta", 3_000);
      if (delta.type !== "delta") throw new Error("delta");
      // Same dataplane: only the revision and the health's last apply changed.
      expect(Object.keys(delta.changed).sort()).toEqual(["health", "revision"]);
      expect(delta.changed.revision).toMatchObject({ applied_revision: 2 });
      expect(delta.removed).toEqual([]);
    } finally {
      stream.stop();
    }
  });

  it("shows a DNAT rule deleted by hand as a changed nat section, and the rule's counters moving", async () => {
    const client = await start(1000);
    const stream = watch(client);
    try {
      const full = await stream.next((e) => e.type === "full", 10_000);
      const before = dnatPackets(natOf(sectionsOf(full)));
      expect(before).toBeGreaterThanOrEqual(0);

      await nsExec(routerNs, ["iptables", "-t", "nat", ...dnat.replace(/^-A /, "-D ").split(" ")]);
      const changed = await stream.next((e) => natOf(sectionsOf(e)) !== undefined, 5_000);
      const nat = natOf(sectionsOf(changed));
      expect(changed.type).toBe("delta");
      expect(nat?.text).not.toContain(dnat);
      expect(nat?.rules.map((r) => r.rule)).not.toContain(dnat);

      // Put it back (the agent does not repair by itself), then send traffic through it.
      expect((await need().apply(labIntent(3))).changes).toBeGreaterThan(0);
      const repaired = await stream.next((e) => natOf(sectionsOf(e))?.text.includes(dnat) === true, 3_000);
      const base = dnatPackets(natOf(sectionsOf(repaired)));
      expect(base).toBeGreaterThanOrEqual(0);
      expect(await pingOnce(uplinkNs, "203.0.113.20")).toBe(true);
      expect(await pingOnce(uplinkNs, "203.0.113.20")).toBe(true);
      // Each ping is a new conntrack entry: its first packet crosses the nat PREROUTING chain.
      const counted = await stream.next((e) => dnatPackets(natOf(sectionsOf(e))) >= base + 2, 5_000);
      const rule = natOf(sectionsOf(counted))?.rules.find((r) => r.rule === dnat);
      expect(rule?.bytes).toBeGreaterThan(0);
      const snapshot = await client.snapshot.query();
      expect(dnatPackets(natOf(snapshot.sections))).toBeGreaterThanOrEqual(base + 2);
    } finally {
      stream.stop();
    }
  });

  it("reports a removed router's sections as removed", async () => {
    if (http === undefined) throw new Error("no server");
    const stream = watch(createAgentTestClient(http.url, token));
    try {
      await stream.next((e) => e.type === "full", 10_000);
      expect((await need().apply(labIntent(4, null))).errors).toEqual([]);
      const gone = await stream.next((e) => e.type === "delta" && e.removed.includes(natKey), 3_000);
      if (gone.type !== "delta") throw new Error("delta");
      expect(gone.removed).toEqual(
        ["addr", "conntrack", "nat", "routes"].map((section) => `netns/${routerNs}/${section}`),
      );
    } finally {
      stream.stop();
    }
  });
});

async function untilNoTentative(ns: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await nsExec(ns, ["ip", "addr", "show"])).stdout.includes("tentative") && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
