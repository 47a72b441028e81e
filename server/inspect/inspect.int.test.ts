// Host inspection and drift on a real stack (cli/testing/stack.ts: OVS sandbox, the agent as a process, the API
// over HTTP, the real dispatcher and the relay): a DNAT rule deleted by hand in the router's namespace shows up
// as drift on its floating IP, naming the rule; an unrelated change does not put it back behind anyone's back;
// `netlens drift repair` does, and traffic through the floating IP flows again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nsExec, pingOnce, tcpPeerAddress } from "../../agent/testing/host";
import { type Stack, startStack } from "../../cli/testing/stack";

let stack: Stack;
let host: string;
let routerNs: string;
let uplinkNs: string;
let vmNs: string;
let fipId: string;
const FIP = "203.0.113.225";
const FIXED = "10.5.0.5";
let dnat: string;

type Drift = {
  kind: string;
  id: string;
  name: string;
  missing: { what: string; text: string }[];
  extra: { what: string; text: string }[];
};

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const driftList = () => stack.api.caller.drift.list() as Promise<Drift[]>;
const natText = async () => {
  const snapshot = await stack.api.caller.inspect.snapshot({ host, namespace: routerNs, section: "nat" });
  const nat = snapshot.sections[`netns/${routerNs}/nat`];
  return nat?.kind === "nat" ? nat.text : "";
};

beforeAll(async () => {
  stack = await startStack();
  await stack.cliOk(
    "network",
    "create",
    "ext4",
    "--external",
    "--provider-network-type",
    "flat",
    "--provider-physical-network",
    "public",
  );
  await stack.cliOk(
    "subnet",
    "create",
    "ext4sub",
    "--network",
    "ext4",
    "--subnet-range",
    "203.0.113.0/24",
    "--gateway",
    "203.0.113.1",
    "--allocation-pool",
    "start=203.0.113.220,end=203.0.113.230",
    "--no-dhcp",
  );
  await stack.cliOk("network", "create", "net4");
  await stack.cliOk("subnet", "create", "sub4", "--network", "net4", "--subnet-range", "10.5.0.0/24");
  await stack.cliOk("router", "create", "r4");
  await stack.cliOk("router", "set", "r4", "--external-gateway", "ext4");
  await stack.cliOk("router", "add", "subnet", "r4", "sub4");
  await stack.cliOk("server", "create", "vm4", "--network", "net4", "--fixed-ip", FIXED);
  await stack.cliOk("floating", "ip", "create", "ext4", "--floating-ip-address", FIP);
  await stack.cliOk("server", "add", "floating", "ip", "vm4", FIP);
  // The default group lets in only its own members, as Neutron's does: open what the test sends from outside.
  await stack.cliOk("security", "group", "rule", "create", "--protocol", "icmp", "default");
  await stack.cliOk(
    "security",
    "group",
    "rule",
    "create",
    "--protocol",
    "tcp",
    "--dst-port",
    "8041:8043",
    "default",
  );
  const hosts = await stack.cliJson<{ host: string; online: boolean }[]>("host", "list");
  host = hosts[0]?.host ?? "";
  const router = await stack.cliJson<{ id: string }>("router", "show", "r4");
  routerNs = `${stack.prefix}qrouter-${router.id}`;
  uplinkNs = (await stack.cliJson<{ uplink_namespace: string }>("network", "show", "ext4")).uplink_namespace;
  vmNs = (await stack.cliJson<{ namespace: string }>("server", "show", "vm4")).namespace;
  fipId = (await stack.cliJson<{ id: string }>("floating", "ip", "show", FIP)).id;
  dnat = `-A ${stack.chainPrefix}-PREROUTING -d ${FIP}/32 -j DNAT --to-destination ${FIXED}`;
});

afterAll(async () => {
  await stack?.stop();
});

describe("host inspection and drift on a real host", () => {
  it("lists the host online and shows its snapshot: the DNAT rule verbatim, the instance's port with its tag", async () => {
    const hosts = await stack.cliJson<{ host: string; online: boolean; last_seen: string | null }[]>(
      "host",
      "list",
    );
    expect(hosts[0]).toMatchObject({ online: true, last_seen: expect.any(String) });
    await until(
      "the DNAT rule in the relayed snapshot",
      async () => ((await natText()).includes(dnat) ? true : undefined),
      5_000,
    );
    const plain = await stack.cli("host", "inspect", host, "--namespace", routerNs, "--section", "nat");
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain(dnat);
    expect(plain.stdout).toContain("*nat");
    const vm = await stack.cliJson<{ port_id: string }>("server", "show", "vm4");
    const ovs = await stack.cli("host", "inspect", host, "--section", "ovs");
    expect(ovs.stdout).toMatch(new RegExp(`Port tap${vm.port_id.slice(0, 11)}\\n\\s+tag: \\d+`));
    expect(await driftList()).toEqual([]);
    expect(await pingOnce(uplinkNs, FIP)).toBe(true);
    expect(await tcpPeerAddress(vmNs, uplinkNs, FIP, 8041)).toBe("203.0.113.1");
  });

  it("reports a DNAT rule deleted by hand as drift on its floating IP, naming the rule, within seconds", async () => {
    const started = Date.now();
    await nsExec(routerNs, ["iptables", "-t", "nat", ...dnat.replace(/^-A /, "-D ").split(" ")]);
    const item = await until(
      "drift on the floating IP",
      async () => (await driftList()).find((d) => d.kind === "floating_ip" && d.id === fipId),
      10_000,
    );
    const seconds = (Date.now() - started) / 1000;
    expect(item.name).toBe(FIP);
    expect(item.missing).toEqual([{ what: "nat", text: dnat }]);
    expect(item.extra).toEqual([]);
    // Nothing else drifted: the router's own rules, addresses and routes are as asked.
    expect((await driftList()).map((d) => d.id)).toEqual([fipId]);
    expect(seconds).toBeLessThan(5);
    process.stdout.write(`drift seen ${seconds.toFixed(2)} s after the hand change\n`);
    const listed = await stack.cli("drift", "list");
    expect(listed.stdout).toContain(`nat: ${dnat}`);
    // Traffic from outside no longer reaches the instance.
    expect(await tcpPeerAddress(vmNs, uplinkNs, FIP, 8042)).toBeNull();
  });

  it("does not put the rule back behind anyone's back: an unrelated change applies, the drift stays", async () => {
    await stack.cliOk("network", "create", "unrelated4");
    await stack.inspection.settled();
    expect(await natText()).not.toContain(dnat);
    const drift = await driftList();
    expect(drift.find((d) => d.id === fipId)?.missing).toEqual([{ what: "nat", text: dnat }]);
  });

  it("`netlens drift repair FIP` puts the rule back; the drift clears and the floating IP answers again", async () => {
    const started = Date.now();
    const repaired = await stack.cli("--wait", "drift", "repair", FIP);
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain(`repairing floating_ip ${FIP}`);
    await until(
      "the DNAT rule back",
      async () => ((await natText()).includes(dnat) ? true : undefined),
      5_000,
    );
    await until("no drift", async () => ((await driftList()).length === 0 ? true : undefined), 5_000);
    process.stdout.write(`repaired in ${((Date.now() - started) / 1000).toFixed(2)} s\n`);
    expect(await pingOnce(uplinkNs, FIP)).toBe(true);
    expect(await tcpPeerAddress(vmNs, uplinkNs, FIP, 8043)).toBe("203.0.113.1");
  });

  it("names an extra rule and a missing route, and repairs all with --all", async () => {
    const extra = `-A ${stack.chainPrefix}-PREROUTING -d 203.0.113.229/32 -j DNAT --to-destination 10.5.0.9`;
    await nsExec(routerNs, ["iptables", "-t", "nat", ...extra.split(" ")]);
    await nsExec(routerNs, ["ip", "route", "del", "default"]);
    const router = await until(
      "drift on the router",
      async () => {
        const item = (await driftList()).find((d) => d.kind === "router");
        return item && item.extra.length > 0 && item.missing.length > 0 ? item : undefined;
      },
      10_000,
    );
    expect(router.extra).toContainEqual({ what: "nat", text: extra });
    expect(router.missing).toContainEqual({ what: "route", text: "default via 203.0.113.1" });
    const all = await stack.cli("--wait", "drift", "repair", "--all");
    expect(all.code).toBe(0);
    await until("no drift", async () => ((await driftList()).length === 0 ? true : undefined), 5_000);
    expect(await natText()).not.toContain(extra);
  });

  it("refuses a repair of something that did not drift", async () => {
    const result = await stack.cli("drift", "repair", "nothing-here");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("No drift on nothing-here");
  });
});
