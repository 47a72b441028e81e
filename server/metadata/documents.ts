// What the metadata service answers, as Nova's does for cloud-init and friends: the OpenStack tree
// (/openstack/latest/meta_data.json, network_data.json, user_data) and the EC2 tree (/latest/meta-data/…,
// /latest/user-data). Pure: the subject in, a body (or nothing: 404) out. Dated versions are served as latest.
import { netmaskOf, parseCidr } from "../../lib/ip";
import type { MetadataSubject } from "./lookup";

export type MetadataAnswer = { body: string | Uint8Array<ArrayBuffer>; type: string } | null;

const text = (body: string): MetadataAnswer => ({ body, type: "text/plain; charset=utf-8" });
const json = (value: unknown): MetadataAnswer => ({ body: JSON.stringify(value), type: "application/json" });
const listing = (names: readonly string[]) => text(names.join("\n"));

/** A host name as Nova makes one from a display name: letters, digits and '-', at most 63. */
function hostnameOf(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
  return cleaned || "instance";
}

function identity(s: MetadataSubject) {
  const uuid = s.instance?.id ?? s.port.id;
  const name = s.instance?.name ?? s.port.name;
  return {
    uuid,
    name,
    hostname: hostnameOf(name || uuid),
    ec2Id: `i-${uuid.replaceAll("-", "").slice(0, 8)}`,
  };
}

function keys(s: MetadataSubject): { name: string; data: string }[] {
  const { keyName, keyData } = s.instance ?? {};
  return keyName && keyData ? [{ name: keyName, data: keyData }] : [];
}

function userData(s: MetadataSubject): Uint8Array<ArrayBuffer> | null {
  const data = s.instance?.userData;
  return data ? new Uint8Array(Buffer.from(data, "base64")) : null;
}

function metaData(s: MetadataSubject) {
  const id = identity(s);
  return {
    uuid: id.uuid,
    name: id.name,
    hostname: id.hostname,
    project_id: s.port.projectId,
    availability_zone: "nova",
    launch_index: 0,
    public_keys: Object.fromEntries(keys(s).map((k) => [k.name, k.data])),
    keys: keys(s).map((k) => ({ name: k.name, type: "ssh", data: k.data })),
    meta: {},
  };
}

/** Nova's network_data.json: the one link (the port), its IPv4 network with routes, and DNS services. */
function networkData(s: MetadataSubject) {
  const link = `tap${s.port.id.slice(0, 11)}`;
  const netmask = netmaskOf(parseCidr(s.subnet.cidr, false).prefixlen);
  const routes = [
    ...(s.subnet.gatewayIp ? [{ network: "0.0.0.0", netmask: "0.0.0.0", gateway: s.subnet.gatewayIp }] : []),
    ...s.subnet.hostRoutes.map((r) => {
      const { network, prefixlen } = parseCidr(r.destination, false);
      return { network, netmask: netmaskOf(prefixlen), gateway: r.nexthop };
    }),
  ];
  const dns = s.subnet.dnsNameservers.map((address) => ({ type: "dns", address }));
  return {
    links: [
      {
        id: link,
        vif_id: s.port.id,
        type: "ovs",
        mtu: s.network.mtu,
        ethernet_mac_address: s.port.macAddress,
      },
    ],
    networks: [
      {
        id: "network0",
        type: "ipv4",
        link,
        ip_address: s.address,
        netmask,
        routes,
        network_id: s.network.id,
        services: dns,
      },
    ],
    services: dns,
  };
}

function ec2MetaData(s: MetadataSubject): Map<string, string> {
  const id = identity(s);
  const entries: [string, string][] = [
    ["ami-launch-index", "0"],
    ["hostname", id.hostname],
    ["instance-id", id.ec2Id],
    ["local-hostname", id.hostname],
    ["local-ipv4", s.address],
    ["mac", s.port.macAddress],
    ["placement/availability-zone", "nova"],
  ];
  if (s.floatingIp !== null) entries.push(["public-ipv4", s.floatingIp]);
  keys(s).forEach((k, i) => {
    entries.push([`public-keys/${i}/openssh-key`, k.data]);
  });
  return new Map(entries);
}

/** The names directly below `dir` in a flat tree of paths ("a/b/c" lists as "a/" under ""). */
function childrenOf(paths: Iterable<string>, dir: string): string[] {
  const names = new Set<string>();
  for (const path of paths) {
    if (!path.startsWith(dir)) continue;
    const [head, ...rest] = path.slice(dir.length).split("/");
    if (head) names.add(rest.length > 0 ? `${head}/` : head);
  }
  return [...names];
}

const VERSION = /^(latest|\d{4}-\d{2}-\d{2})$/;

export function answerMetadata(s: MetadataSubject, path: string): MetadataAnswer {
  const parts = path.split("/").filter(Boolean);
  const [top, version, ...rest] = parts;
  if (top === undefined) return listing(["latest", "openstack"]);
  if (top === "openstack") {
    if (version === undefined) return listing(["latest"]);
    if (!VERSION.test(version)) return null;
    const data = userData(s);
    const file = rest.join("/");
    if (file === "") return listing(["meta_data.json", "network_data.json", ...(data ? ["user_data"] : [])]);
    if (file === "meta_data.json") return json(metaData(s));
    if (file === "network_data.json") return json(networkData(s));
    if (file === "user_data") return data ? { body: data, type: "application/octet-stream" } : null;
    return null;
  }
  if (!VERSION.test(top)) return null;
  const data = userData(s);
  if (version === undefined) return listing(["meta-data/", ...(data ? ["user-data"] : [])]);
  if (version === "user-data")
    return data && rest.length === 0 ? { body: data, type: "application/octet-stream" } : null;
  if (version !== "meta-data") return null;
  const tree = ec2MetaData(s);
  const key = rest.join("/");
  const value = tree.get(key);
  if (value !== undefined) return text(value);
  // Nova lists public keys as "0=name" rather than "0/".
  if (key === "public-keys") return listing(keys(s).map((k, i) => `${i}=${k.name}`));
  const below = childrenOf(tree.keys(), key === "" ? "" : `${key}/`);
  return below.length > 0 ? listing(below) : null;
}
