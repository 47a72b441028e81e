// The metadata service as an instance reaches it through a host agent's relay: signed requests naming the router
// (or the network) they came in by and the client's address; refused unsigned; answers for the port that holds
// the address there (cloud-init's OpenStack and EC2 paths), with the key pair and user data the server was
// created with. Key pairs: Nova's rules and errors.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METADATA_HEADERS, type MetadataVia, signVia } from "../../lib/metadata-signature";
import { createTestApi, expectRefused, type TestApi, tableCounts } from "../testkit";
import { METADATA_MOUNT, serveMetadata } from "./service";

// Made with `ssh-keygen -t ed25519`; `ssh-keygen -l -E md5` prints the fingerprint below.
const PUBLIC_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIQWi/0VyfViGavIjh9SOc1MjfFELSNF4t2ZyF5dQg5H alice@example";
const FINGERPRINT = "a7:ef:92:d8:29:4b:83:50:de:f2:d8:b2:89:a2:c5:42";
const SECRET = "shared-agent-token";
const USER_DATA = "#cloud-config\nhostname: from-user-data\n";

let api: TestApi;
let router: { id: string };
let network: { id: string };
let vm: { id: string; address: string; floating: string; mac: string };
let bare: { id: string; address: string };

beforeAll(async () => {
  api = await createTestApi();
  const admin = api.caller;
  await admin.network.create({
    name: "public",
    "router:external": true,
    "provider:network_type": "flat",
    "provider:physical_network": "public",
  });
  await admin.subnet.create({
    name: "public-subnet",
    network_id: "public",
    cidr: "203.0.113.0/24",
    gateway_ip: "203.0.113.1",
    enable_dhcp: false,
  });
  network = await admin.network.create({ name: "md-net" });
  await admin.subnet.create({
    name: "md-subnet",
    network_id: "md-net",
    cidr: "10.60.0.0/24",
    dns_nameservers: ["198.51.100.53"],
    host_routes: [{ destination: "10.99.0.0/16", nexthop: "10.60.0.254" }],
  });
  router = await admin.router.create({ name: "md-router", external_gateway_info: { network_id: "public" } });
  await admin.router.addInterface({ id: "md-router", subnet_id: "md-subnet" });
  await admin.keypair.create({ name: "alice-key", public_key: PUBLIC_KEY });
  const server = await admin.server.create({
    name: "Web Server 1",
    network_id: "md-net",
    key_name: "alice-key",
    user_data: Buffer.from(USER_DATA).toString("base64"),
  });
  const fip = await admin.floatingIp.create({ floating_network_id: "public" });
  await admin.server.addFloatingIp({ id: server.id, floating_ip_address: fip.floating_ip_address });
  const address = Object.values(server.addresses)[0]?.[0] ?? "";
  vm = { id: server.id, address, floating: fip.floating_ip_address, mac: server.mac_address ?? "" };
  const port = await admin.port.create({ name: "bare-port", network_id: "md-net" });
  bare = { id: port.id, address: port.fixed_ips[0]?.ip_address ?? "" };
});
afterAll(() => api.close());

const deps = () => ({ db: api.db, secrets: async () => [SECRET], log: pino({ level: "silent" }) });

function ask(
  path: string,
  client: string,
  via: MetadataVia = { kind: "router", id: router.id },
  sign = SECRET,
) {
  const headers = new Headers({
    [via.kind === "router" ? METADATA_HEADERS.router : METADATA_HEADERS.network]: via.id,
    [METADATA_HEADERS.client]: client,
    [METADATA_HEADERS.signature]: signVia(sign, via),
  });
  return serveMetadata(deps(), new Request(`http://server${METADATA_MOUNT}${path}`, { headers }));
}

describe("metadata service", () => {
  it("answers meta_data.json with the instance's uuid, name, hostname and key", async () => {
    const res = await ask("/openstack/latest/meta_data.json", vm.address);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      uuid: vm.id,
      name: "Web Server 1",
      hostname: "web-server-1",
      availability_zone: "nova",
      public_keys: { "alice-key": PUBLIC_KEY },
    });
  });

  it("answers the EC2 paths cloud-init reads", async () => {
    const text = async (path: string) => (await ask(path, vm.address)).text();
    expect(await text("/latest/meta-data/local-ipv4")).toBe(vm.address);
    expect(await text("/latest/meta-data/public-ipv4")).toBe(vm.floating);
    expect(await text("/latest/meta-data/mac")).toBe(vm.mac);
    expect(await text("/2009-04-04/meta-data/instance-id")).toBe(
      `i-${vm.id.replaceAll("-", "").slice(0, 8)}`,
    );
    expect(await text("/latest/meta-data/public-keys")).toBe("0=alice-key");
    expect(await text("/latest/meta-data/public-keys/0/openssh-key")).toBe(PUBLIC_KEY);
    expect((await text("/latest/meta-data/")).split("\n")).toEqual(
      expect.arrayContaining(["hostname", "local-ipv4", "public-ipv4", "placement/", "public-keys/"]),
    );
    expect(await text("/latest/user-data")).toBe(USER_DATA);
    expect(await text("/openstack/latest/user_data")).toBe(USER_DATA);
  });

  it("answers network_data.json with the port's link, address, routes and DNS", async () => {
    const data = await (await ask("/openstack/latest/network_data.json", vm.address)).json();
    expect(data.links[0]).toMatchObject({
      ethernet_mac_address: vm.mac,
      mtu: 1450,
      vif_id: expect.any(String),
    });
    expect(data.networks[0]).toMatchObject({
      ip_address: vm.address,
      netmask: "255.255.255.0",
      network_id: network.id,
      routes: [
        { network: "0.0.0.0", netmask: "0.0.0.0", gateway: "10.60.0.1" },
        { network: "10.99.0.0", netmask: "255.255.0.0", gateway: "10.60.0.254" },
      ],
    });
    expect(data.services).toEqual([{ type: "dns", address: "198.51.100.53" }]);
  });

  it("answers a port with no server with the port's id and name, and no user data", async () => {
    expect(await (await ask("/openstack/latest/meta_data.json", bare.address)).json()).toMatchObject({
      uuid: bare.id,
      name: "bare-port",
      public_keys: {},
    });
    expect((await ask("/latest/user-data", bare.address)).status).toBe(404);
  });

  it("finds the port through a network (an isolated network's DHCP namespace)", async () => {
    const res = await ask("/latest/meta-data/local-ipv4", vm.address, { kind: "network", id: network.id });
    expect(await res.text()).toBe(vm.address);
  });

  it("refuses a request that no agent signed, or signed for another router", async () => {
    expect((await ask("/latest/meta-data/local-ipv4", vm.address, undefined, "guessed")).status).toBe(403);
    const headers = new Headers({
      [METADATA_HEADERS.router]: router.id,
      [METADATA_HEADERS.client]: vm.address,
      [METADATA_HEADERS.signature]: signVia(SECRET, {
        kind: "router",
        id: "00000000-0000-4000-8000-000000000000",
      }),
    });
    const res = await serveMetadata(
      deps(),
      new Request(`http://server${METADATA_MOUNT}/latest`, { headers }),
    );
    expect(res.status).toBe(403);
    const unsigned = await serveMetadata(deps(), new Request(`http://server${METADATA_MOUNT}/latest`));
    expect(unsigned.status).toBe(400);
  });

  it("answers 404 for an address that no port holds on the router's networks", async () => {
    expect((await ask("/latest/meta-data/local-ipv4", "10.60.0.250")).status).toBe(404);
    // The router's own address on that network is not a workload.
    expect((await ask("/latest/meta-data/local-ipv4", "10.60.0.1")).status).toBe(404);
    // Nor is an address reached through a network the request did not come in by.
    expect((await ask("/latest/meta-data/local-ipv4", "203.0.113.1")).status).toBe(404);
  });
});

describe("key pairs and user data", () => {
  it("computes Nova's fingerprint and lists the caller's keys", async () => {
    const key = await api.caller.keypair.show({ id: "alice-key" });
    expect(key).toMatchObject({ name: "alice-key", fingerprint: FINGERPRINT, type: "ssh" });
    expect((await api.caller.keypair.list()).map((k) => k.name)).toEqual(["alice-key"]);
  });

  it("refuses bad input and writes nothing", async () => {
    const before = await tableCounts(api.db);
    await expectRefused(
      api,
      () => api.caller.keypair.create({ name: "alice-key", public_key: PUBLIC_KEY }),
      "Key pair 'alice-key' already exists.",
    );
    await expectRefused(
      api,
      () => api.caller.keypair.create({ name: "k2", public_key: "ssh-rsa bm90IGEga2V5" }),
      /Keypair data is invalid: the key data is not a ssh-rsa key/,
    );
    await expectRefused(
      api,
      () => api.caller.keypair.create({ name: "k3", public_key: "-----BEGIN OPENSSH PRIVATE KEY-----" }),
      /Keypair data is invalid: unknown key type/,
    );
    await expectRefused(
      api,
      () => api.caller.keypair.create({ name: "bad/name", public_key: PUBLIC_KEY }),
      /Key pair name may contain only/,
    );
    await expectRefused(
      api,
      () => api.caller.server.create({ name: "vm-x", network_id: "md-net", key_name: "nope" }),
      "Keypair nope not found for user admin",
    );
    const big = Buffer.alloc(65536, "a").toString("base64");
    await expectRefused(
      api,
      () => api.caller.server.create({ name: "vm-y", network_id: "md-net", user_data: big }),
      "User data is larger than 65535 bytes",
    );
    await expectRefused(
      api,
      () => api.caller.server.create({ name: "vm-z", network_id: "md-net", user_data: "not base64!" }),
      "User data must be base64 encoded",
    );
    expect(await tableCounts(api.db)).toEqual(before);
  });
});
