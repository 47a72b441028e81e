// Metadata as an instance reads it, on a real agent (real OVS, namespaces, iptables, dnsmasq, haproxy): a lab
// probe that took its address by DHCP asks http://169.254.169.254 and gets its own address, uuid, key and user
// data — through the router's redirect, its haproxy, the agent's relay and the server's metadata service; a
// router without interfaces runs no proxy. On an isolated network (DHCP, no router), a workload plugged by hand
// the Nova way gets the route to 169.254.169.254 in its lease and reads its metadata through the DHCP
// namespace's proxy, which gives way to the router's while the network has one.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../agent/host/exec";
import type { TraceResult } from "../lib/schemas/trace";
import { FIXTURE_KEY } from "../server/api/fixture.testing";
import { type Stack, startStack } from "./testing/stack";
import { addWorkload, plugWorkload } from "./testing/workload";

let stack: Stack;
let dir: string;
const tag = randomBytes(2).toString("hex");
/** The test's own workload (not the agent's: its namespaces are `<prefix>q...-<uuid>`). */
const workloadNs = `nlmd-${tag}-vm`;
const workloadTap = `md${tag}vm`;

beforeAll(async () => {
  stack = await startStack();
  dir = await mkdtemp(join(tmpdir(), "netlens-metadata-"));
}, 120_000);
afterAll(async () => {
  await run("ip", ["netns", "del", workloadNs], { allowFailure: true });
  await run("ip", ["link", "del", workloadTap], { allowFailure: true });
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** What the instance in `ns` reads at `path` of the metadata service (busybox wget; its -T crashes: no -T). */
async function fetchMetadata(ns: string, path: string) {
  return run(
    "ip",
    ["netns", "exec", ns, "busybox", "wget", "-q", "-O", "-", `http://169.254.169.254${path}`],
    {
      allowFailure: true,
      timeoutMs: 10_000,
    },
  );
}

/** The pids of haproxy processes whose command line names `path` (its configuration). */
async function proxiesOf(path: string): Promise<string[]> {
  const { stdout } = await run("pgrep", ["-f", path], { allowFailure: true });
  return stdout.split("\n").filter(Boolean);
}

describe("metadata through a router", { timeout: 120_000 }, () => {
  it("answers an instance its own address, uuid, key and user data", async () => {
    await stack.cliOk("network", "create", "md-net");
    await stack.cliOk(
      "subnet",
      "create",
      "md-subnet",
      "--network",
      "md-net",
      "--subnet-range",
      "10.61.0.0/24",
    );
    await stack.cliOk("router", "create", "md-router");
    await stack.cliOk("router", "add", "subnet", "md-router", "md-subnet");
    await writeFile(join(dir, "id.pub"), `${FIXTURE_KEY}\n`);
    await writeFile(join(dir, "user-data"), "#cloud-config\nhostname: md-vm\n");
    await stack.cliOk("keypair", "create", "--public-key", join(dir, "id.pub"), "md-key");
    await stack.cliOk(
      "server",
      "create",
      "md-vm",
      "--network",
      "md-net",
      "--key-name",
      "md-key",
      "--user-data",
      join(dir, "user-data"),
    );
    const vm = await stack.cliJson<{ id: string; namespace: string; addresses: Record<string, string[]> }>(
      "server",
      "show",
      "md-vm",
    );
    const address = vm.addresses["md-net"]?.[0];
    expect(address).toMatch(/^10\.61\.0\.\d+$/);

    const local = await fetchMetadata(vm.namespace, "/latest/meta-data/local-ipv4");
    expect(local.stderr).toBe("");
    expect(local.stdout).toBe(address);
    const meta = JSON.parse((await fetchMetadata(vm.namespace, "/openstack/latest/meta_data.json")).stdout);
    expect(meta).toMatchObject({ uuid: vm.id, name: "md-vm", public_keys: { "md-key": FIXTURE_KEY } });
    expect((await fetchMetadata(vm.namespace, "/latest/user-data")).stdout).toBe(
      "#cloud-config\nhostname: md-vm\n",
    );
  });

  it("stops the router's proxy when its last interface goes, and starts it again with one", async () => {
    const router = await stack.cliJson<{ id: string; status: string }>("router", "show", "md-router");
    // Its redirect rule read back as written (the apply's own check): the router converged.
    expect(router.status).toBe("ACTIVE");
    const config = `metadata/${router.id}/haproxy.cfg`;
    expect(await proxiesOf(config)).toHaveLength(1);
    await stack.cliOk("server", "delete", "md-vm");
    await stack.cliOk("router", "remove", "subnet", "md-router", "md-subnet");
    expect(await proxiesOf(config)).toEqual([]);
    await stack.cliOk("router", "add", "subnet", "md-router", "md-subnet");
    expect(await proxiesOf(config)).toHaveLength(1);
  });
});

/** udhcpc's script for the workload: the lease's address and classless static routes (else its router), kept. */
const udhcpcScript = `#!/bin/sh
case "$1" in
  bound|renew)
    ip addr replace "$ip/$mask" dev "$interface"
    env > "$LEASE_FILE"
    if [ -n "$staticroutes" ]; then
      set -- $staticroutes
      while [ $# -ge 2 ]; do ip route replace "$1" via "$2" dev "$interface"; shift 2; done
    elif [ -n "$router" ]; then
      ip route replace default via "\${router%% *}" dev "$interface"
    fi
    ;;
esac
`;

/** One DHCP exchange of the workload (busybox udhcpc, as cloud images run it): the lease's variables. */
async function takeLease(): Promise<Record<string, string>> {
  const script = join(dir, "udhcpc.sh");
  const leaseFile = join(dir, "lease");
  await writeFile(script, udhcpcScript, { mode: 0o755 });
  await rm(leaseFile, { force: true });
  const args = ["-i", "eth0", "-s", script, "-O", "staticroutes", "-f", "-q", "-n", "-t", "5", "-T", "1"];
  const { code, stderr } = await run("ip", ["netns", "exec", workloadNs, "busybox", "udhcpc", ...args], {
    env: { ...process.env, LEASE_FILE: leaseFile },
    allowFailure: true,
    timeoutMs: 15_000,
  });
  if (code !== 0) throw new Error(`no lease: ${stderr}`);
  return Object.fromEntries(
    (await readFile(leaseFile, "utf8")).split("\n").flatMap((line) => {
      const m = /^([a-z_]+)=(.*)$/.exec(line);
      return m?.[1] === undefined ? [] : [[m[1], m[2] ?? ""]];
    }),
  );
}

/** The IPv4 addresses of the devices in `ns` other than its loopback. */
async function addressesIn(ns: string): Promise<string[]> {
  const { stdout } = await run("ip", ["-n", ns, "-4", "-o", "addr", "show"]);
  return stdout
    .split("\n")
    .filter((line) => !/^\d+: lo\s/.test(line))
    .flatMap((line) => /inet (\S+)/.exec(line)?.[1] ?? []);
}

describe("metadata on an isolated network, through its DHCP namespace", { timeout: 120_000 }, () => {
  let networkId = "";
  let port = { id: "", mac_address: "", address: "" };
  let dhcpAddress = "";
  const dhcpNs = () => `${stack.prefix}qdhcp-${networkId}`;
  const proxyConfig = () => `metadata/${networkId}/haproxy.cfg`;

  it("gives a workload plugged by hand the route in its lease, and answers its address and uuid", async () => {
    networkId = (await stack.cliJson<{ id: string }>("--wait", "network", "create", "iso-net")).id;
    await stack.cliOk(
      "subnet",
      "create",
      "iso-subnet",
      "--network",
      "iso-net",
      "--subnet-range",
      "10.63.0.0/24",
    );
    const created = await stack.cliJson<{
      id: string;
      mac_address: string;
      fixed_ips: { ip_address: string }[];
    }>("--wait", "port", "create", "iso-port", "--network", "iso-net", "--device-owner", "compute:nova");
    port = {
      id: created.id,
      mac_address: created.mac_address,
      address: created.fixed_ips[0]?.ip_address ?? "",
    };
    const dhcpPort = (await stack.api.caller.port.list({ device_owner: "network:dhcp" })).find(
      (p) => p.network_id === networkId,
    );
    dhcpAddress = dhcpPort?.fixed_ips[0]?.ip_address ?? "";
    expect(dhcpAddress).toMatch(/^10\.63\.0\.\d+$/);
    // The DHCP namespace serves metadata itself: the address on its port, haproxy listening there.
    expect(await addressesIn(dhcpNs())).toEqual(
      expect.arrayContaining([`${dhcpAddress}/24`, "169.254.169.254/32"]),
    );
    expect(await proxiesOf(proxyConfig())).toHaveLength(1);

    await addWorkload(workloadNs, workloadTap, port.mac_address, null);
    await plugWorkload(stack.sandbox.db, stack.integrationBridge, workloadTap, port.id, port.mac_address);
    const deadline = Date.now() + 10_000;
    while ((await stack.api.caller.port.show({ id: port.id })).status !== "ACTIVE") {
      if (Date.now() > deadline) throw new Error("the workload's port was not bound");
      await new Promise((r) => setTimeout(r, 50));
    }
    const lease = await takeLease();
    expect(lease).toMatchObject({ ip: port.address, mask: "24" });
    // Option 121 overrides option 3 (RFC 3442): the default route rides along with the metadata route.
    expect(lease.staticroutes).toBe(`169.254.169.254/32 ${dhcpAddress} 0.0.0.0/0 10.63.0.1`);
    const routes = (await run("ip", ["-n", workloadNs, "route"])).stdout;
    expect(routes).toContain(`169.254.169.254 via ${dhcpAddress} dev eth0`);

    const local = await fetchMetadata(workloadNs, "/latest/meta-data/local-ipv4");
    expect(local.stderr).toBe("");
    expect(local.stdout).toBe(port.address);
    const meta = JSON.parse((await fetchMetadata(workloadNs, "/openstack/latest/meta_data.json")).stdout);
    // A port with no server: its own id is the uuid.
    expect(meta).toMatchObject({ uuid: port.id });
  });

  it("gives way to a router's proxy while the network has one, and serves again once it goes", async () => {
    await stack.cliOk("router", "create", "iso-router");
    await stack.cliOk("router", "add", "subnet", "iso-router", "iso-subnet");
    expect(await proxiesOf(proxyConfig())).toEqual([]);
    expect(await addressesIn(dhcpNs())).toEqual([`${dhcpAddress}/24`]);
    // The renewed lease has no metadata route: the router (the gateway) answers it now.
    await run("ip", ["-n", workloadNs, "route", "del", "169.254.169.254/32"]);
    const lease = await takeLease();
    expect(lease.staticroutes).toBeUndefined();
    expect(lease.router).toBe("10.63.0.1");
    expect((await fetchMetadata(workloadNs, "/latest/meta-data/local-ipv4")).stdout).toBe(port.address);

    await stack.cliOk("router", "remove", "subnet", "iso-router", "iso-subnet");
    expect(await proxiesOf(proxyConfig())).toHaveLength(1);
    expect(await addressesIn(dhcpNs())).toContain("169.254.169.254/32");
    expect((await takeLease()).staticroutes).toBe(`169.254.169.254/32 ${dhcpAddress} 0.0.0.0/0 10.63.0.1`);
    expect((await fetchMetadata(workloadNs, "/latest/meta-data/local-ipv4")).stdout).toBe(port.address);
  });

  it("traces a probe's request there, and names a stopped proxy and a stopped dnsmasq with their fix", async () => {
    await stack.cliOk("server", "create", "iso-probe", "--network", "iso-net");
    const trace = async (...flags: string[]) => {
      const { stdout, stderr } = await stack.cli(
        "trace",
        "--from",
        "iso-probe",
        "--to",
        "metadata",
        ...flags,
        "-f",
        "json",
      );
      if (stdout === "") throw new Error(stderr);
      return JSON.parse(stdout) as TraceResult;
    };
    const delivered = await trace();
    expect(delivered, JSON.stringify(delivered, null, 1)).toMatchObject({
      verdict: "delivered",
      protocol: "tcp",
      port: 80,
      diagnoses: [],
    });
    expect(delivered.forward[0]?.decided_by.text).toContain(`via ${dhcpAddress}`);
    expect(delivered.forward.at(-1)?.where.namespace).toBe(dhcpNs());
    // A real TCP connect from the probe: the proxy answers it.
    const probed = await trace("--probe");
    expect(probed).toMatchObject({ verdict: "delivered", probe: { result: "connected" } });

    const stop = async (pidFile: string) => {
      const pid = Number((await readFile(pidFile, "utf8")).trim());
      process.kill(pid, "SIGTERM");
      while ((await run("kill", ["-0", String(pid)], { allowFailure: true })).code === 0)
        await new Promise((r) => setTimeout(r, 20));
    };
    await stop(join(stack.agentStateDir, "metadata", networkId, "pid"));
    const noProxy = await trace();
    expect(noProxy.verdict).toBe("dropped");
    expect(noProxy.diagnoses).toEqual([
      expect.objectContaining({
        code: "metadata-unreachable",
        message: expect.stringContaining(
          `The metadata proxy (haproxy) of network iso-net's DHCP namespace is not running in ${dhcpNs()}`,
        ),
      }),
    ]);
    await stop(join(stack.agentStateDir, "dhcp", networkId, "pid"));
    expect((await trace()).diagnoses).toContainEqual(
      expect.objectContaining({
        code: "no-dhcp-lease",
        message: expect.stringContaining(`dnsmasq is not running in ${dhcpNs()}`),
      }),
    );
    // The fix the diagnosis gives: the agent reconciles the namespace, both run again.
    await stack.cliOk("drift", "repair", "--all");
    const deadline = Date.now() + 10_000;
    while ((await trace()).verdict !== "delivered") {
      if (Date.now() > deadline) throw new Error("the repair did not start the proxy and dnsmasq again");
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await trace()).diagnoses).toEqual([]);
  });
});
