// Who may call what. Every procedure of the app router is walked (enumerated from the router itself, so a new
// procedure without an entry below fails this test) as anonymous, as a member of project "alpha" and as an
// admin. Members who try a change get FORBIDDEN and the database stays as it was. (What members see of other
// projects: tenancy.test.ts.) Members trace their own project's paths: a trace naming another project's end is
// refused exactly as one naming nothing.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../db/client";
import { createTestApi, type TestApi, tableCounts } from "../testkit";
import { silentHost } from "../trace/silent-host.testing";
import { buildFixture, FIXTURE_KEY, type Fixture } from "./fixture.testing";
import { appRouter, createCaller } from "./root";
import { createInnerContext } from "./trpc";

type Who = "public" | "member" | "admin";
type Caller = ReturnType<typeof createCaller>;

/**
 * For procedures that need a host (inspection, drift), which the test API does not run: the admin gets past
 * access control and the call then fails for want of a host. A trace asks the silent host.
 */
const NO_HOST = "past access control";
const rollback = new Error("rollback");

/**
 * Who may call each procedure, and an input that would succeed for someone allowed (so that "nothing
 * changed" after a refusal means something). Members may manage their own login and API tokens: those
 * change no part of the model.
 */
const access: Record<string, { who: Who; input?: (f: Fixture) => unknown; admin?: string }> = {
  "auth.login": { who: "public", input: (f) => ({ username: "alice", password: f.alicePassword }) },
  "auth.logout": { who: "public" },
  "auth.whoami": { who: "public" },
  "token.issue": { who: "member", input: () => ({ name: "walk" }) },
  "token.list": { who: "member" },
  "token.revoke": { who: "member", input: (f) => ({ id: f.aliceToken }) },
  "user.list": { who: "admin" },
  "user.create": {
    who: "admin",
    input: () => ({ name: "walker", password: "walker-password", project: "alpha", role: "member" }),
  },
  "user.delete": { who: "admin", input: () => ({ id: "bob" }) },
  "user.setPassword": { who: "admin", input: () => ({ id: "bob", password: "a-new-password" }) },
  "role.list": { who: "admin" },
  "role.assign": { who: "admin", input: () => ({ user: "bob", project: "alpha", role: "member" }) },
  "role.unassign": { who: "admin", input: () => ({ user: "bob", project: "bravo" }) },
  "project.list": { who: "member" },
  "project.show": { who: "member", input: () => ({ id: "alpha" }) },
  "project.create": { who: "admin", input: () => ({ name: "walk-project" }) },
  "project.delete": { who: "admin", input: () => ({ id: "charlie" }) },
  "network.list": { who: "member" },
  "network.show": { who: "member", input: () => ({ id: "net-a" }) },
  "network.create": { who: "admin", input: () => ({ name: "walk-net" }) },
  "network.update": { who: "admin", input: () => ({ id: "net-a", name: "renamed" }) },
  "network.delete": { who: "admin", input: () => ({ id: "empty-net-a" }) },
  "subnet.list": { who: "member" },
  "subnet.show": { who: "member", input: () => ({ id: "subnet-a" }) },
  "subnet.create": {
    who: "admin",
    input: () => ({ name: "walk-sub", network_id: "empty-net-a", cidr: "10.9.0.0/24" }),
  },
  "subnet.update": { who: "admin", input: () => ({ id: "subnet-a", name: "renamed" }) },
  "subnet.delete": { who: "admin", input: () => ({ id: "spare-subnet-a" }) },
  "port.list": { who: "member" },
  "port.listText": { who: "member" },
  "port.show": { who: "member", input: () => ({ id: "port-a" }) },
  "port.create": { who: "admin", input: () => ({ network_id: "net-a" }) },
  "port.update": { who: "admin", input: () => ({ id: "port-a", name: "renamed" }) },
  "port.delete": { who: "admin", input: () => ({ id: "port-a" }) },
  "router.list": { who: "member" },
  "router.show": { who: "member", input: () => ({ id: "router-a" }) },
  "router.create": { who: "admin", input: () => ({ name: "walk-router" }) },
  "router.update": { who: "admin", input: () => ({ id: "router-a", name: "renamed" }) },
  "router.delete": { who: "admin", input: () => ({ id: "spare-router-a" }) },
  "router.l3Agents": { who: "admin", input: () => ({ id: "router-a" }) },
  "router.addInterface": {
    who: "admin",
    input: () => ({ id: "spare-router-a", subnet_id: "spare-subnet-a" }),
  },
  "router.removeInterface": {
    who: "admin",
    input: () => ({ id: "iface-router-a", subnet_id: "iface-subnet-a" }),
  },
  "floatingIp.list": { who: "member" },
  "floatingIp.show": { who: "member", input: (f) => ({ id: f.fipA }) },
  "floatingIp.create": {
    who: "admin",
    input: () => ({ floating_network_id: "public", project_id: "alpha" }),
  },
  "floatingIp.update": { who: "admin", input: (f) => ({ id: f.fipA, port_id: null }) },
  "floatingIp.delete": { who: "admin", input: (f) => ({ id: f.spareFipA }) },
  "securityGroup.list": { who: "member" },
  "securityGroup.show": { who: "member", input: () => ({ id: "sg-a" }) },
  "securityGroup.create": { who: "admin", input: () => ({ name: "walk-sg", project_id: "alpha" }) },
  "securityGroup.update": { who: "admin", input: () => ({ id: "sg-a", name: "renamed" }) },
  "securityGroup.delete": { who: "admin", input: () => ({ id: "spare-sg-a" }) },
  "securityGroupRule.list": { who: "member" },
  "securityGroupRule.show": { who: "member", input: (f) => ({ id: f.ruleA }) },
  "securityGroupRule.create": {
    who: "admin",
    input: () => ({ security_group_id: "sg-a", direction: "ingress", protocol: "icmp" }),
  },
  "securityGroupRule.delete": { who: "admin", input: (f) => ({ id: f.ruleA }) },
  "server.list": { who: "member" },
  "topology.get": { who: "member" },
  "server.show": { who: "member", input: () => ({ id: "vm-a" }) },
  "server.create": { who: "admin", input: () => ({ name: "walk-vm", network_id: "net-a" }) },
  "server.delete": { who: "admin", input: () => ({ id: "vm-a" }) },
  "server.addFloatingIp": { who: "admin", input: (f) => ({ id: "vm2-a", floating_ip_address: f.spareFipA }) },
  "server.addSecurityGroup": { who: "admin", input: () => ({ id: "vm-a", security_group: "sg-a" }) },
  "server.removeSecurityGroup": {
    who: "admin",
    input: () => ({ id: "vm2-a", security_group: "sg-a" }),
  },
  "server.removeFloatingIp": { who: "admin", input: (f) => ({ id: "vm-a", floating_ip_address: f.fipA }) },
  // Key pairs are each user's own (as tokens): no part of the model.
  "keypair.list": { who: "member" },
  "keypair.show": { who: "member", input: () => ({ id: "walk-key" }) },
  "keypair.create": { who: "member", input: () => ({ name: "walk-key-2", public_key: FIXTURE_KEY }) },
  "keypair.delete": { who: "member", input: () => ({ id: "walk-key" }) },
  // Hosts are the operators' business: a tenant sees none of a host's state.
  "host.list": { who: "admin" },
  "host.wait": { who: "admin", input: () => ({ timeout_ms: 0 }) },
  "inspect.snapshot": { who: "admin", input: () => ({ host: "somehost" }), admin: NO_HOST },
  "inspect.stream": { who: "admin" },
  "drift.list": { who: "admin", admin: NO_HOST },
  "drift.settings": { who: "admin", admin: NO_HOST },
  "drift.setSettings": { who: "admin", input: () => ({ auto_repair: false }), admin: NO_HOST },
  "drift.repair": { who: "admin", input: () => ({ all: true }), admin: NO_HOST },
  "portForwarding.list": { who: "member", input: (f) => ({ floatingip_id: f.pfFipA }) },
  "portForwarding.show": { who: "member", input: (f) => ({ floatingip_id: f.pfFipA, id: f.pfA }) },
  "portForwarding.create": {
    who: "admin",
    input: (f) => ({
      floatingip_id: f.pfFipA,
      internal_port_id: "port-a",
      internal_ip_address: f.portAIp,
      internal_port: 80,
      external_port: 8080,
      protocol: "tcp",
    }),
  },
  "portForwarding.update": {
    who: "admin",
    input: (f) => ({ floatingip_id: f.pfFipA, id: f.pfA, external_port: 2223 }),
  },
  "portForwarding.delete": { who: "admin", input: (f) => ({ floatingip_id: f.pfFipA, id: f.pfA }) },
  // Members trace their own project's paths, the host's internals masked (server/trace/tenant-view.ts).
  "trace.run": { who: "member", input: () => ({ from: "vm-a", to: "203.0.113.1" }) },
  // Who changed what, from where: every project's changes, and admins' own.
  "audit.list": { who: "admin", input: () => ({ user: "admin" }) },
  events: { who: "member" },
};

// At run time `_def.procedures` is flat, keyed by the dotted path ("network.create"); its type is the nested record.

const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;

/** Calls `path` on `caller`; a subscription is opened and closed again at once. */
async function invoke(caller: Caller, path: string, input: unknown, signal: AbortSignal): Promise<unknown> {
  let target: unknown = caller;
  for (const part of path.split(".")) target = (target as Record<string, unknown>)[part];
  if (typeof target !== "function") throw new Error(`no procedure ${path} on the caller`);
  return (target as (input: unknown, opts?: { signal: AbortSignal }) => Promise<unknown>)(input, { signal });
}

/** The TRPCError code of a call, or "OK". */
async function outcome(
  callerFor: (signal: AbortSignal) => Caller,
  path: string,
  input: unknown,
): Promise<string> {
  const controller = new AbortController();
  try {
    await invoke(callerFor(controller.signal), path, input, controller.signal);
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  } finally {
    controller.abort();
  }
}

/** Runs `work` in a transaction that is rolled back, so that every call finds the fixture intact. */
async function rolledBack(work: (db: Db) => Promise<void>): Promise<void> {
  await api.db
    .transaction(async (tx) => {
      // A transaction is a database for the procedures: their own transactions become savepoints in it.
      await work(tx as unknown as Db);
      throw rollback;
    })
    .catch((error: unknown) => {
      if (error !== rollback) throw error;
    });
}

let api: TestApi;
let fixture: Fixture;
beforeAll(async () => {
  api = await (await createTestApi()).with({ traceAgents: silentHost });
  fixture = await buildFixture(api);
}, 60_000);
afterAll(() => api.close());

describe("every procedure declares who may call it", () => {
  it("has an entry for every procedure of the router", () => {
    // Entries for procedures that do not exist (yet) are tolerated: routers of parallel work land separately.
    const missing = Object.keys(procedures).filter((path) => !(path in access));
    expect(missing, "procedures without an access expectation").toEqual([]);
  });

  it("refuses anonymous callers everything but login, logout and whoami", async () => {
    for (const [path, { who, input }] of Object.entries(access).filter(([p]) => p in procedures)) {
      const anonymous = createCaller(await createInnerContext(api.services, null));
      const code = await outcome(() => anonymous, path, input?.(fixture));
      if (who === "public") expect(code, path).not.toMatch(/UNAUTHORIZED|FORBIDDEN/);
      else expect(code, path).toBe("UNAUTHORIZED");
    }
  });

  it("lets a member read and manage their own tokens, and refuses every change of the model, writing nothing", async () => {
    for (const [path, { who, input }] of Object.entries(access).filter(([p]) => p in procedures)) {
      await rolledBack(async (db) => {
        const before = await tableCounts(db);
        const ctx = { ...fixture.alice.ctx, db };
        const code = await outcome((signal) => createCaller(ctx, { signal }), path, input?.(fixture));
        if (who === "admin") {
          expect(code, path).toBe("FORBIDDEN");
          expect(await tableCounts(db), `${path} changed the database`).toEqual(before);
        } else {
          expect(code, path).toBe("OK");
        }
      });
    }
  });

  it("lets an admin call everything, and each call does its work", async () => {
    for (const [path, { input, admin }] of Object.entries(access).filter(([p]) => p in procedures)) {
      await rolledBack(async (db) => {
        const ctx = { ...api.ctx, db };
        const code = await outcome((signal) => createCaller(ctx, { signal }), path, input?.(fixture));
        if (admin === NO_HOST) expect(code, path).not.toMatch(/UNAUTHORIZED|FORBIDDEN/);
        else expect(code, path).toBe(admin ?? "OK");
      });
    }
  });
});

/** The refusal of a call, with `named` written as X in its message (so that refusals of two names compare). */
async function refusal(call: Promise<unknown>, named: string): Promise<string> {
  try {
    await call;
    return "OK";
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    return `${error.code}: ${error.message.replaceAll(named, "X")}`;
  }
}

describe("trace.run for a member", () => {
  const NOBODY = "0b6e2a4c-51f4-4a57-9d3c-6f1e0c1d2e3f";
  let bravo: { vm: string; vmAddress: string; router: string; fip: string; fipAddress: string };
  beforeAll(async () => {
    const vm = await api.caller.server.show({ id: "bravo-vm" });
    bravo = {
      vm: vm.id,
      vmAddress: Object.values(vm.addresses).flat()[0] ?? "",
      router: (await api.caller.router.show({ id: "bravo-router" })).id,
      fip: fixture.fipB.id,
      fipAddress: fixture.fipB.floating_ip_address,
    };
  });
  const alice = () => fixture.alice.caller;

  it("traces between its own project's ends, and between them and the outside world", async () => {
    for (const [from, to] of [
      ["vm-a", "203.0.113.1"],
      ["vm-a", "198.51.100.7"],
      ["203.0.113.1", fixture.fipA],
      ["vm-a", "vm2-a"],
      ["router-a", "vm-a"],
      [fixture.fipA, "203.0.113.1"],
    ] as const) {
      const result = await alice().trace.run({ from, to });
      expect(result.forward.length, `${from} -> ${to}`).toBeGreaterThan(0);
    }
  });

  it("refuses another project's end exactly as one that does not exist, either way round", async () => {
    const pairs: [theirs: string, nothing: string][] = [
      ["bravo-vm", "no-such-vm"],
      [bravo.vm, NOBODY],
      ["bravo-router", "no-such-router"],
      [bravo.router, NOBODY],
      [bravo.fip, NOBODY],
      // On the external subnet: another project's floating IP, and an address nothing holds.
      [bravo.fipAddress, "203.0.113.199"],
      // On the shared network: another project's port, and an address nothing holds.
      ["10.3.0.77", "10.3.0.78"],
    ];
    for (const [theirs, nothing] of pairs) {
      for (const end of ["from", "to"] as const) {
        const other = end === "from" ? { to: "vm-a" } : { from: "vm-a" };
        const refused = await refusal(alice().trace.run({ ...other, [end]: theirs } as never), theirs);
        expect(refused, `${end} ${theirs}`).toMatch(/^(NOT_FOUND|BAD_REQUEST): /);
        expect(refused, `${end} ${theirs}`).toBe(
          await refusal(alice().trace.run({ ...other, [end]: nothing } as never), nothing),
        );
      }
    }
    // What an admin finds: the refusals above are the member's only.
    const admin = await api.caller.trace.run({ from: "bravo-vm", to: "203.0.113.1" });
    expect(admin.from.name).toBe("bravo-vm");
  });

  it("traces to another project's fixed address as to any address beyond its router", async () => {
    const theirs = await alice().trace.run({ from: "vm-a", to: bravo.vmAddress });
    const nothing = await alice().trace.run({ from: "vm-a", to: "10.99.0.5" });
    const anonymous = (text: string, address: string) => text.replaceAll(address, "X");
    expect(theirs.to.kind).toBe("outside");
    expect(anonymous(JSON.stringify({ ...theirs, duration_ms: 0 }), bravo.vmAddress)).toBe(
      anonymous(JSON.stringify({ ...nothing, duration_ms: 0 }), "10.99.0.5"),
    );
  });
});
