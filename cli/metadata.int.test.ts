// Metadata as an instance reads it, on a real agent (real OVS, namespaces, iptables, dnsmasq, haproxy): a lab
// probe that took its address by DHCP asks http://169.254.169.254 and gets its own address, uuid, key and user
// data — through the router's redirect, its haproxy, the agent's relay and the server's metadata service; a
// router without interfaces runs no proxy.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../agent/host/exec";
import { FIXTURE_KEY } from "../server/api/fixture.testing";
import { type Stack, startStack } from "./testing/stack";

let stack: Stack;
let dir: string;

beforeAll(async () => {
  stack = await startStack();
  dir = await mkdtemp(join(tmpdir(), "netlens-metadata-"));
}, 120_000);
afterAll(async () => {
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
