// Binds what others plug into our integration bridge with `external_ids:iface-id=<port id>` (a VM's tap, a
// container's veth), as Neutron's OVS agent does: on every change the OVSDB monitor sees and after every apply,
// one pass between applies reads the bridge, plans (plan/bindings.ts) and sets the ports' tags; when the bound
// ports changed, an apply wires them (their security groups' flows) before they are reported. What became of
// each interface is the snapshot's `bindings` section, from which the server sets the ports' status and host.
import type { Logger } from "pino";
import type { BindingsSection, PluggedInterface } from "../../lib/host-snapshot";
import type { HostIntent } from "../contract/intent";
import type { Ovs, OvsCommand } from "../host/ovs";
import {
  DEAD_PORT_COOKIE,
  deadPortFlows,
  type PortTagChange,
  planBindings,
  pluggedLocalVlans,
  workloadNetworks,
} from "../plan/bindings";
import { planLocalVlans } from "../plan/desired";
import { readIntegrationPorts } from "../read/iface-ids";
import { contentHash } from "../read/sections";

/** What the binder needs of the converge loop. */
export type BinderHost = {
  readonly lastIntent: HostIntent | null;
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  refresh(): Promise<void>;
};

export type BinderDeps = {
  ovs: Ovs;
  integrationBridge: string;
  /** physical network -> bridge: a port on a physical network not in it is not bound here. */
  bridgeMappings: Readonly<Record<string, string>>;
  prefix: string;
  host: BinderHost;
  log: Logger;
  /** The report changed: the snapshot stream should carry it. */
  onChange: () => void;
};

/** Changes seen within this time are bound in one pass (libvirt sets a tap's columns in a few updates). */
const DEBOUNCE_MS = 20;
const RETRY_MS = 1000;

const emptyIntent: HostIntent = { revision: 1, networks: [], routers: [], instances: [], uplinks: [] };

export class Binder {
  readonly #d: BinderDeps;
  #section: BindingsSection = section([]);
  #vlans: ReadonlyMap<string, number> = new Map();
  /** Networks only workloads use on this host: their flows come from a full apply (Converger.refresh). */
  #workloadOnly = "";
  /** Bound interfaces by port id: the firewall's flows name them (a full apply plans them: Converger.refresh). */
  #ports: ReadonlyMap<string, string> = new Map();
  /** The last refresh for the bound ports failed: the next pass refreshes before it reports them. */
  #unfiltered = false;
  /** The drop flows the last pass left; null until the first pass has read the bridge. */
  #drops: ReadonlySet<string> | null = null;
  #timer: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;

  constructor(deps: BinderDeps) {
    this.#d = deps;
  }

  /** The bound workloads' networks and their local VLANs, as the last pass left them. */
  vlans(): ReadonlyMap<string, number> {
    return this.#vlans;
  }

  /** The bound workloads' interfaces by port id, as the last pass left them. */
  ports(): ReadonlyMap<string, string> {
    return this.#ports;
  }

  section(): BindingsSection {
    return this.#section;
  }

  /** Asks for a pass soon; cheap, whatever the binder is doing. */
  schedule(): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#running !== null) {
        this.#again = true;
        return;
      }
      this.#running = this.#loop().finally(() => {
        this.#running = null;
      });
    }, DEBOUNCE_MS);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#retry);
    await this.#running;
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.#pass();
      } catch (error) {
        // Tried again soon: nothing else may happen on the bridge to ask for it.
        this.#d.log.warn({ err: error }, "binding pass failed; retrying");
        clearTimeout(this.#retry);
        this.#retry = setTimeout(() => this.schedule(), RETRY_MS);
        this.#retry.unref();
      }
    } while (this.#again && !this.#closed);
  }

  async #pass(): Promise<void> {
    const { refresh, interfaces } = await this.#d.host.exclusive(async () => {
      const { ovs, integrationBridge, prefix } = this.#d;
      const intent = this.#d.host.lastIntent ?? emptyIntent;
      const { plugged, ownTags } = await readIntegrationPorts(ovs, integrationBridge, prefix);
      const existing = new Map([...pluggedLocalVlans(plugged), ...ownTags]);
      const wanted = workloadNetworks(intent, plugged, this.#d.bridgeMappings);
      const vlans = planLocalVlans(intent, existing, wanted);
      const plan = planBindings(intent, plugged, vlans, this.#d.bridgeMappings);
      await ovs.transact(plan.changes.flatMap(tagCommands));
      await this.#dropDead(new Set(deadPortFlows(plan.interfaces, plugged)));
      if (plan.changes.length > 0) this.#d.log.info({ changes: plan.changes }, "bound plugged interfaces");
      this.#vlans = new Map(wanted.flatMap((network) => tagOf(vlans, network)));
      const only = [...new Set(wanted.filter((network) => !ownTags.has(network)))].sort().join(",");
      const ports = new Map(
        plan.interfaces.flatMap((i) =>
          i.state === "bound" && i.port_id !== null ? [[i.port_id, i.name]] : [],
        ),
      );
      const changed = this.#unfiltered || only !== this.#workloadOnly || !samePorts(ports, this.#ports);
      this.#workloadOnly = only;
      this.#ports = ports;
      if (!changed) this.#publish(plan.interfaces);
      return { refresh: changed, interfaces: plan.interfaces };
    });
    if (!refresh) return;
    // As Neutron reports a device up only once its filter is set: what was bound or unbound is reported once the
    // apply that wires it (its security groups' flows, its network's) has run. Should it fail, the next pass
    // applies again before it reports.
    this.#unfiltered = true;
    await this.#d.host.refresh();
    this.#unfiltered = false;
    this.#publish(interfaces);
  }

  /**
   * The dead ports' drop flows. A failure (a port gone between the read and the write) leaves the rest of the
   * pass alone: the tags hold them apart meanwhile, and the next pass reads the flows again.
   */
  async #dropDead(drops: ReadonlySet<string>): Promise<void> {
    // Read only when there is or was something to drop: a pass runs after every port the agent adds itself.
    if (drops.size === 0 && this.#drops !== null && this.#drops.size === 0) return;
    const { ovs, integrationBridge } = this.#d;
    try {
      const have = new Set(await ovs.dumpFlows(integrationBridge, DEAD_PORT_COOKIE));
      await ovs.modifyFlows(
        integrationBridge,
        [...drops].filter((f) => !have.has(f)),
        [...have].filter((f) => !drops.has(f)),
      );
      this.#drops = drops;
    } catch (error) {
      this.#drops = null;
      this.#d.log.warn({ err: error }, "dead ports' drop flows not set");
    }
  }

  #publish(interfaces: PluggedInterface[]): void {
    const next = section(interfaces);
    if (next.hash === this.#section.hash) return;
    this.#section = next;
    this.#d.onChange();
  }
}

function samePorts(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([id, name]) => b.get(id) === name);
}

function tagOf(vlans: ReadonlyMap<string, number>, network: string): [string, number][] {
  const tag = vlans.get(network);
  return tag === undefined ? [] : [[network, tag]];
}

function section(interfaces: PluggedInterface[]): BindingsSection {
  return { kind: "bindings", hash: contentHash(JSON.stringify(interfaces)), interfaces };
}

/** A port that went since the read is no error: --if-exists. */
function tagCommands(change: PortTagChange): OvsCommand[] {
  const set = ["--if-exists", "set", "Port", change.port, `tag=${change.tag}`];
  return change.netUuid === null
    ? [set, ["--if-exists", "remove", "Port", change.port, "other_config", "net_uuid"]]
    : [[...set, `other_config:net_uuid=${change.netUuid}`]];
}
