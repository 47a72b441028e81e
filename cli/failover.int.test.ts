// A network node that dies, as the control plane sees it, on a lab of three hosts (compute1, network1, network2;
// agent_down_time 3 s): the legacy router on network2 with vm1's floating IP; network2's agent stopped and its
// links cut. `netlens trace` from vm1 to the outside names host-down while the router is still there; `host list`
// says network2 is down; the router goes to network1 by itself (Neutron's allow_automatic_l3agent_failover,
// once dead for longer than the down time) with its addresses, and the outside reaches the floating IP again
// (how long each took is printed). From the outside the trace cannot name host-down: the outside world lives on
// network1 and reaches network2's router over the flat external network, which the trace does not follow.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../agent/host/exec";
import { namespacesWithPrefix, pingWithin } from "../agent/testing/host";
import type { TraceResult } from "../lib/schemas/trace";
import { type LabStack, type LabStackHost, startLabStack, until } from "./testing/stack";

const EXT = { cidr: "198.51.100.0/24", gateway: "198.51.100.1", fip: "198.51.100.60" } as const;
const DOWN_MS = 3_000;

let stack: LabStack;
let uplinkNs = "";

type RouterShow = { id: string; host: string | null; status: string; external_gateway_info: unknown };

function host(name: string): LabStackHost {
  const found = stack.hosts.find((h) => h.name === name);
  if (found === undefined) throw new Error(`no lab host ${name}`);
  return found;
}

beforeAll(async () => {
  stack = await startLabStack(["compute1", "network1", "network2"], {}, { agentDownTimeMs: DOWN_MS });
});
afterAll(async () => {
  const prefixes = stack
    ? [...stack.hosts.map((h) => h.prefix), `${stack.lab.underlay.replace(/underlay$/, "")}`]
    : [];
  await stack?.stop();
  for (const prefix of prefixes) expect(await namespacesWithPrefix(prefix)).toEqual([]);
});

describe("a network node that dies", () => {
  it("builds a legacy router on network2 with vm1's floating IP, reached from the outside", async () => {
    await until("the three agents to say who they are", async () => {
      const rows = await stack.cliJson<{ online: boolean }[]>("host", "list");
      return rows.length === 3 && rows.every((r) => r.online) ? rows : undefined;
    });
    const { cliOk, cliJson } = stack;
    await stack.externalNetwork("ext", { ...EXT, pool: { start: "198.51.100.50", end: "198.51.100.70" } });
    await cliOk("network", "create", "tenant", "--provider-network-type", "vxlan");
    await cliOk("subnet", "create", "tenant-sub", "--network", "tenant", "--subnet-range", "10.9.0.0/24");
    await cliOk("router", "create", "r", "--host", "network2", "--external-gateway", "ext");
    await cliOk("router", "add", "subnet", "r", "tenant-sub");
    await cliOk("server", "create", "vm1", "--network", "tenant", "--host", "compute1");
    await cliOk("floating", "ip", "create", "ext", "--floating-ip-address", EXT.fip);
    await cliOk("server", "add", "floating", "ip", "vm1", EXT.fip);
    await cliOk("security", "group", "rule", "create", "--protocol", "icmp", "default");
    const ext = await cliJson<{ uplink_namespace: string }>("network", "show", "ext");
    uplinkNs = ext.uplink_namespace;
    expect(uplinkNs.startsWith(host("network1").prefix)).toBe(true);
    expect(await cliJson<RouterShow>("router", "show", "r")).toMatchObject({
      host: "network2",
      status: "ACTIVE",
    });
    expect(await pingWithin(uplinkNs, EXT.fip, 20)).toBe(true);
  });

  it("names host-down, says the node is down, moves the router to network1 and answers again", async () => {
    const before = await stack.cliJson<RouterShow>("router", "show", "r");
    const dying = host("network2");
    const cut = Date.now();
    const since = () => ((Date.now() - cut) / 1000).toFixed(1);
    for (const link of ["underlay0", "public0"])
      await run("ip", ["-n", dying.netns, "link", "set", link, "down"]);
    await dying.stopAgent();

    // Before the move: vm1's way out crosses the VXLAN tunnel to network2, whose agent does not answer; from the
    // outside, the path crosses the flat external network from network1 to network2's router, as dead.
    const trace = await stack.cli("trace", "--from", "vm1", "--to", EXT.gateway, "-f", "json");
    const outside = await stack.cli("trace", "--from", EXT.gateway, "--to", EXT.fip, "-f", "json");
    expect((await stack.cliJson<RouterShow>("router", "show", "r")).host).toBe("network2");
    console.log(`failover: traced ${since()} s after the cut, the router still on network2`);
    const traced = JSON.parse(trace.stdout) as TraceResult;
    expect(traced.verdict).toBe("dropped");
    expect(traced.diagnoses.map((d) => d.code)).toContain("host-down");
    const fromOutside = JSON.parse(outside.stdout) as TraceResult;
    expect(fromOutside.verdict, outside.stdout).toBe("dropped");
    expect(fromOutside.diagnoses.map((d) => d.code)).toContain("host-down");

    await until(
      "host list to show network2 down",
      async () => {
        const rows = await stack.cliJson<{ host: string; online: boolean }[]>("host", "list");
        return rows.find((r) => r.host === "network2")?.online === false ? rows : undefined;
      },
      30_000,
    );
    console.log(`failover: host list showed network2 down ${since()} s after the cut`);
    const moved = await until(
      "the router to be ACTIVE on network1",
      async () => {
        const router = await stack.cliJson<RouterShow>("router", "show", "r");
        return router.host === "network1" && router.status === "ACTIVE" ? router : undefined;
      },
      60_000,
    );
    console.log(`failover: router r ACTIVE on network1 ${since()} s after the cut`);
    expect(moved.external_gateway_info).toEqual(before.external_gateway_info);
    await until(
      "the floating IP to answer again",
      async () => (await pingWithin(uplinkNs, EXT.fip, 1)) || undefined,
      30_000,
    );
    console.log(`failover: the floating IP answered again ${since()} s after the cut`);
    const again = await stack.cliJson<TraceResult>("trace", "--from", EXT.gateway, "--to", EXT.fip);
    expect(again.verdict, JSON.stringify(again.diagnoses)).toBe("delivered");
  });
});
