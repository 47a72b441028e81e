// Reads the host's sections for inspection: one ovs-vsctl call, then per namespace of ours one `ip -json -batch`
// (addr + route) and, for routers, one `iptables-save -t nat -c` and one `conntrack -L` (and for an HA router,
// its keepalived and ha_state), a few at a time. A section whose raw text is
// the same as last time is taken from the previous read without parsing or hashing it again: at idle (the common
// case) a read costs the processes and string compares only.
import type {
  AddrSection,
  ConntrackSection,
  DhcpSection,
  HaSection,
  HostSection,
  HostSections,
  IpJsonLink,
  IpJsonRoute,
  NamespaceSectionKind,
  NatSection,
  OvsPortsSection,
  OvsShowSection,
  RoutesSection,
  SnapshotSectionKey,
} from "../../lib/host-snapshot";
import { ownNamespacePattern } from "../../lib/names";
import { listConntrack } from "../host/conntrack";
import { readDaemon, readLogTail } from "../host/daemon";
import { mapLimit } from "../host/exec";
import { readNamespaceJson } from "../host/ip";
import { saveNat } from "../host/iptables";
import { listNamespaces, namespaceExists } from "../host/netns";
import type { Ovs } from "../host/ovs";
import { dhcpPaths } from "../plan/dhcp";
import { parseIptablesSave, stripSaveTimestamps } from "../plan/iptables";
import { keepalivedPaths } from "../plan/keepalived";
import { parseConntrack } from "./conntrack";
import { haState } from "./ha-state";
import { parseOvsPorts, showAndListArgs, splitShowAndList } from "./ovs-ports";
import { contentHash, namespaceSectionKey } from "./sections";

export type ReaderSettings = {
  prefix: string;
  chainPrefix: string;
  /** The agent's bridges: integration first, then the mapped physical ones. */
  bridges: string[];
  /** Where DHCP servers keep their files (agent/options.ts dhcpDir). */
  dhcpDir: string;
  /** Where HA routers' keepalived keeps its files (agent/options.ts haDir). */
  haDir: string;
  /** Whether a namespace named like ours is one the agent made: another of the same shape is not shown. */
  owns: (namespace: string) => boolean;
  /** Namespaces read at once: enough to hide process latency, few enough to leave a 2-core host alone. */
  parallel?: number;
};

export type HostRead = {
  sections: HostSections;
  /** What could not be read; those sections keep their previous content (or are absent on a first read). */
  errors: string[];
};

type Cached = { raw: string; sections: HostSection[] };
type Failure = { namespace: string | null; message: string };

export class SnapshotReader {
  /** Per source (the ovs call, a namespace's ip output, its nat table): the raw text and what it gave. */
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly ovs: Ovs,
    private readonly settings: ReaderSettings,
  ) {}

  async read(): Promise<HostRead> {
    const failures: Failure[] = [];
    const sections: HostSections = {};
    const put = (list: HostSection[]) => {
      for (const section of list) sections[keyOf(section)] = section;
    };
    const pattern = ownNamespacePattern(this.settings.prefix);
    const [ovsPart, names] = await Promise.all([
      this.readOvs().catch((error: unknown) => this.fallback(null, ["ovs"], error, failures)),
      listNamespaces().then((all) =>
        all.filter((name) => pattern.test(name) && this.settings.owns(name)).sort(),
      ),
    ]);
    put(ovsPart);
    const parts = await mapLimit(names, this.settings.parallel ?? 4, async (name) => {
      const [, kind, id = ""] = pattern.exec(name) ?? [];
      const [ip, nat, conntrack, dhcp, keepalived] = await Promise.all([
        this.readIp(name).catch((error: unknown) =>
          this.fallback(name, [`addr:${name}`, `routes:${name}`], error, failures),
        ),
        kind === "qrouter"
          ? this.readNat(name).catch((error: unknown) =>
              this.fallback(name, [`nat:${name}`], error, failures),
            )
          : [],
        kind === "qrouter"
          ? this.readConntrack(name).catch((error: unknown) =>
              this.fallback(name, [`conntrack:${name}`], error, failures),
            )
          : [],
        kind === "qdhcp"
          ? this.readDhcp(name, id).catch((error: unknown) =>
              this.fallback(name, [`dhcp:${name}`], error, failures),
            )
          : [],
        kind === "qrouter" ? this.readKeepalived(id).catch(() => null) : null,
      ]);
      return [...ip, ...nat, ...conntrack, ...dhcp, ...this.haSection(name, id, ip, keepalived)];
    });
    for (const part of parts) put(part);
    const errors: string[] = [];
    const gone = new Set<string>();
    for (const failure of failures) {
      // A namespace deleted between the listing and its read (an apply removing a router) is not an error: it
      // is simply gone, and so are its sections.
      if (failure.namespace !== null && !(await namespaceExists(failure.namespace))) {
        gone.add(failure.namespace);
        continue;
      }
      errors.push(failure.message);
    }
    for (const [key, section] of Object.entries(sections)) {
      if (section !== undefined && "namespace" in section && gone.has(section.namespace))
        delete sections[key as SnapshotSectionKey];
    }
    // Forget namespaces that are gone, so that the cache does not grow with every router ever seen.
    const live = new Set(names.filter((name) => !gone.has(name)));
    for (const source of this.cache.keys()) {
      const ns = source.slice(source.indexOf(":") + 1);
      if (source !== "ovs" && !live.has(ns)) this.cache.delete(source);
    }
    return { sections, errors };
  }

  /** The previous sections of the sources that failed; the failure goes to the caller. */
  private fallback(
    namespace: string | null,
    sources: string[],
    error: unknown,
    failures: Failure[],
  ): HostSection[] {
    const what = namespace ?? "ovs";
    failures.push({
      namespace,
      message: `${what}: ${error instanceof Error ? error.message : String(error)}`,
    });
    return sources.flatMap((source) => this.cache.get(source)?.sections ?? []);
  }

  private remember(source: string, raw: string, build: () => HostSection[]): HostSection[] {
    const cached = this.cache.get(source);
    if (cached !== undefined && cached.raw === raw) return cached.sections;
    const sections = build();
    this.cache.set(source, { raw, sections });
    return sections;
  }

  private async readOvs(): Promise<HostSection[]> {
    const stdout = await this.ovs.vsctl(showAndListArgs);
    return this.remember("ovs", stdout, () => {
      const { show, tables } = splitShowAndList(stdout);
      const ovs: OvsShowSection = { kind: "ovs", hash: contentHash(show), text: show };
      const data = parseOvsPorts(tables, this.settings.bridges);
      // Hashed after sorting: OVSDB does not promise an order of rows, and the same ports must hash the same.
      const ports: OvsPortsSection = { kind: "ovsPorts", hash: contentHash(JSON.stringify(data)), ...data };
      return [ovs, ports];
    });
  }

  private async readIp(namespace: string): Promise<HostSection[]> {
    const { addr, route } = await readNamespaceJson(namespace);
    // Two sources, so that a route change does not re-parse a thousand addresses.
    const addrSection = this.remember(`addr:${namespace}`, addr, () => {
      const section: AddrSection = {
        kind: "addr",
        namespace,
        hash: contentHash(addr),
        links: JSON.parse(addr) as IpJsonLink[],
      };
      return [section];
    });
    const routeSection = this.remember(`routes:${namespace}`, route, () => {
      const section: RoutesSection = {
        kind: "routes",
        namespace,
        hash: contentHash(route),
        routes: JSON.parse(route) as IpJsonRoute[],
      };
      return [section];
    });
    return [...addrSection, ...routeSection];
  }

  private async readDhcp(namespace: string, networkId: string): Promise<HostSection[]> {
    const paths = dhcpPaths(this.settings.dhcpDir, networkId);
    const [server, log] = await Promise.all([
      readDaemon("dnsmasq", paths.dir, paths.pid, [paths.host, paths.opts]),
      readLogTail(paths.log, DHCP_LOG_LINES),
    ]);
    const data = {
      network_id: networkId,
      running: server.pid !== null,
      pid: server.pid,
      hosts: server.files[paths.host] ?? null,
      opts: server.files[paths.opts] ?? null,
      log,
    };
    const raw = JSON.stringify(data);
    return this.remember(`dhcp:${namespace}`, raw, () => {
      const section: DhcpSection = { kind: "dhcp", namespace, hash: contentHash(raw), ...data };
      return [section];
    });
  }

  /** An HA router's keepalived (null: the router is not HA here, no configuration and no process). */
  private async readKeepalived(routerId: string): Promise<{ pid: number | null } | null> {
    const paths = keepalivedPaths(this.settings.haDir, routerId);
    const daemon = await readDaemon("keepalived", paths.dir, paths.pid, [paths.config]);
    return daemon.pid === null && daemon.files[paths.config] === null ? null : { pid: daemon.pid };
  }

  /** ha_state from the namespace's addresses just read: cheap, so built again on every read. */
  private haSection(
    namespace: string,
    routerId: string,
    ip: HostSection[],
    keepalived: { pid: number | null } | null,
  ): HostSection[] {
    if (keepalived === null) return [];
    const addr = ip.find((s) => s.kind === "addr");
    const links = addr?.kind === "addr" ? addr.links : [];
    const data = {
      router_id: routerId,
      ha_state: haState(links, keepalived.pid !== null),
      running: keepalived.pid !== null,
      pid: keepalived.pid,
    };
    const section: HaSection = { kind: "ha", namespace, hash: contentHash(JSON.stringify(data)), ...data };
    return [section];
  }

  private async readNat(namespace: string): Promise<HostSection[]> {
    const text = stripSaveTimestamps(await saveNat(namespace));
    return this.remember(`nat:${namespace}`, text, () => {
      const section: NatSection = {
        kind: "nat",
        namespace,
        hash: contentHash(text),
        text,
        rules: parseIptablesSave(text, this.settings.chainPrefix).rules,
      };
      return [section];
    });
  }

  private async readConntrack(namespace: string): Promise<HostSection[]> {
    const text = await listConntrack(namespace);
    return this.remember(`conntrack:${namespace}`, text, () => {
      // Without the lines (their timeouts count down), in a fixed order (the kernel's is its hash table's): the
      // same connections in the same states hash the same.
      const keyed = parseConntrack(text).map((entry) => {
        const { text: _, ...rest } = entry;
        return { entry, key: JSON.stringify(rest) };
      });
      keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const entries = keyed.map((k) => k.entry);
      const hash = contentHash(keyed.map((k) => k.key).join("\n"));
      const section: ConntrackSection = { kind: "conntrack", namespace, hash, entries };
      return [section];
    });
  }
}

/** Lines of dnsmasq's log shown: enough for the last few exchanges. */
const DHCP_LOG_LINES = 30;

export function keyOf(section: HostSection): SnapshotSectionKey {
  switch (section.kind) {
    case "ovs":
    case "ovsPorts":
    case "revision":
    case "health":
    case "bindings":
      return section.kind;
    case "addr":
    case "routes":
    case "nat":
    case "dhcp":
    case "conntrack":
    case "ha":
      return namespaceSectionKey(section.namespace, section.kind satisfies NamespaceSectionKind);
    default: {
      const unreachable: never = section;
      throw new Error(`Unknown section ${JSON.stringify(unreachable)}`);
    }
  }
}
