// Open vSwitch: OVSDB through ovs-vsctl (JSON reads; writes as one transaction of `--`-separated commands, with
// --may-exist / --if-exists so that they are idempotent) and flows through ovs-ofctl on the bridge's socket.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { FLOW_COOKIE, normalizeFlow } from "../plan/ovs";
import type { ObservedOvsPort, ObservedTunnelPort } from "../plan/pictures";
import { run } from "./exec";

/** One ovs-vsctl command (without the `--` separators). */
export type OvsCommand = string[];

type OvsTable = { headings: string[]; data: unknown[][] };

export class Ovs {
  constructor(
    private readonly db: string,
    private readonly runDir: string,
  ) {}

  async vsctl(args: string[]): Promise<string> {
    const { stdout } = await run("ovs-vsctl", [`--db=${this.db}`, "--timeout=30", ...args]);
    return stdout;
  }

  /**
   * All commands in one OVSDB transaction. Without --no-wait, ovs-vsctl returns once ovs-vswitchd has applied
   * it, so the ports' ofport numbers can be checked right after.
   */
  async transact(commands: OvsCommand[]): Promise<void> {
    if (commands.length === 0) return;
    await this.vsctl(commands.flatMap((command) => ["--", ...command]));
  }

  /** The ports whose Interface external_ids carry `netlens-prefix=<prefix>`, with bridge, tag and ofport. */
  async listPorts(prefix: string): Promise<ObservedOvsPort[]> {
    return (await this.listOwnPorts(prefix)).ports;
  }

  /** Our ports (as listPorts) and, apart, our VXLAN ports with their options: one ovs-vsctl call. */
  async listOwnPorts(prefix: string): Promise<{ ports: ObservedOvsPort[]; tunnels: ObservedTunnelPort[] }> {
    const stdout = await this.vsctl([
      "--format=json",
      "--",
      "--columns=name,ports",
      "list",
      "Bridge",
      "--",
      "--columns=_uuid,name,tag",
      "list",
      "Port",
      "--",
      "--columns=name,ofport,external_ids,type,options",
      "list",
      "Interface",
    ]);
    const [bridges, ports, interfaces] = stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as OvsTable);
    if (bridges === undefined || ports === undefined || interfaces === undefined) {
      throw new Error("ovs-vsctl list: unexpected output");
    }
    const portUuidToBridge = new Map<string, string>();
    for (const [name, portSet] of bridges.data) {
      for (const uuid of ovsSet(portSet)) portUuidToBridge.set(ovsUuid(uuid), String(name));
    }
    const portInfo = new Map<string, { bridge: string; tag: number | null }>();
    for (const [uuid, name, tag] of ports.data) {
      const bridge = portUuidToBridge.get(ovsUuid(uuid));
      const tags = ovsSet(tag);
      if (bridge !== undefined)
        portInfo.set(String(name), { bridge, tag: typeof tags[0] === "number" ? tags[0] : null });
    }
    const result: ObservedOvsPort[] = [];
    const tunnels: ObservedTunnelPort[] = [];
    for (const [name, ofport, externalIds, type, options] of interfaces.data) {
      const ids = ovsMap(externalIds);
      if (ids["netlens-prefix"] !== prefix) continue;
      const info = portInfo.get(String(name));
      if (info === undefined) continue; // an Interface row without a port: being deleted
      const number = ovsSet(ofport)[0];
      if (type === "vxlan") {
        tunnels.push({
          name: String(name),
          bridge: info.bridge,
          options: ovsMap(options),
          ofport: typeof number === "number" ? number : null,
        });
        continue;
      }
      result.push({
        name: String(name),
        bridge: info.bridge,
        tag: info.tag,
        externalIds: ids,
        ofport: typeof number === "number" ? number : null,
      });
    }
    return { ports: result, tunnels };
  }

  /** The interfaces among `names` that vswitchd could not open (ofport -1 or none yet). */
  async brokenInterfaces(names: string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const stdout = await this.vsctl([
      "--format=json",
      "--columns=name,ofport",
      "list",
      "Interface",
      ...names,
    ]);
    const table = JSON.parse(stdout) as OvsTable;
    return table.data
      .filter(([, ofport]) => {
        const number = ovsSet(ofport)[0];
        return typeof number !== "number" || number < 0;
      })
      .map(([name]) => String(name));
  }

  private mgmt(bridge: string): string {
    return `unix:${this.runDir}/${bridge}.mgmt`;
  }

  /**
   * The bridge's flows of exactly this cookie (ours by default); with `match` fields, only those whose match is
   * at least that specific.
   */
  async dumpFlows(bridge: string, cookie = FLOW_COOKIE, match: readonly string[] = []): Promise<string[]> {
    const { stdout } = await run("ovs-ofctl", [
      "--names",
      "--no-stats",
      "dump-flows",
      this.mgmt(bridge),
      [`cookie=${cookie}/-1`, ...match].join(","),
    ]);
    return stdout
      .split("\n")
      .filter((line) => line.includes("actions="))
      .map(normalizeFlow)
      .sort();
  }

  /**
   * Adds and removes flows of ours, in one bundle (one transaction) unless `atomic` is false (then in order,
   * removals first). A removal matches the flow strictly (match and priority, which name at most one flow of a
   * table) and our cookie, so a flow someone else added to the same bridge is never touched.
   */
  async modifyFlows(bridge: string, add: string[], remove: string[], atomic = true): Promise<void> {
    const lines = [
      ...remove.map((flow) => `delete_strict ${strictMatchOf(flow)}`),
      ...add.map((flow) => `add ${flow}`),
    ];
    if (lines.length === 0) return;
    await run("ovs-ofctl", [...(atomic ? ["--bundle"] : []), "add-flows", this.mgmt(bridge), "-"], {
      input: `${lines.join("\n")}\n`,
    });
  }
}

/** OVSDB JSON: a set is ["set", [...]], a one-element set is the bare element. */
export function ovsSet(value: unknown): unknown[] {
  if (Array.isArray(value) && value[0] === "set" && Array.isArray(value[1])) return value[1];
  return [value];
}

export function ovsUuid(value: unknown): string {
  return Array.isArray(value) && value[0] === "uuid" ? String(value[1]) : String(value);
}

export function ovsMap(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (Array.isArray(value) && value[0] === "map" && Array.isArray(value[1])) {
    for (const pair of value[1] as unknown[]) {
      if (Array.isArray(pair)) result[String(pair[0])] = String(pair[1]);
    }
  }
  return result;
}

/**
 * `external_ids={"k"="v",...}`: replaces the whole map (a stale key would otherwise survive forever). Keys and
 * values are quoted so that an empty value (the live stack's prefix "") stays a string.
 */
export function externalIdsArg(ids: Record<string, string>): string {
  return mapColumnArg("external_ids", ids);
}

/** `COLUMN={"k"="v",...}`: a map column set whole (as externalIdsArg). */
export function mapColumnArg(column: string, map: Record<string, string>): string {
  const pairs = Object.entries(map).map(([key, value]) => `${JSON.stringify(key)}=${JSON.stringify(value)}`);
  return `${column}={${pairs.join(",")}}`;
}

/**
 * The cookie mask of a strict removal: every bit but the top one. With a mask of all ones OVS finds the flow
 * by scanning every flow of that cookie (its cookie index), and all our flows share one: 1,000 removals among
 * 30,000 flows took seconds, 30,000 over a minute. With any other mask it looks the match up in the table's
 * classifier and then checks the cookie under the mask (30,000 removals: ~0.6 s). Strict match and priority
 * name at most one flow per table, so the bit left out could only matter for a flow of exactly our match
 * whose cookie differs from ours in that bit alone.
 */
const STRICT_COOKIE_MASK = "0x7fffffffffffffff";

/** `cookie=C,priority=P,MATCH actions=A` -> `cookie=C/MASK,priority=P,MATCH`: what delete_strict takes. */
function strictMatchOf(flow: string): string {
  return flow
    .replace(/ actions=.*$/, "")
    .replace(/^cookie=(0x[0-9a-f]+),/, `cookie=$1/${STRICT_COOKIE_MASK},`);
}

/**
 * Which ovsdb-server and ovs-vswitchd run now (their pids, from the run directory's pid files), or null where
 * OVS keeps its pid files elsewhere: a change means OVS restarted and may have lost ports, flows and bridges.
 */
export async function ovsDaemons(runDir: string): Promise<string | null> {
  const pid = (name: string) =>
    readFile(join(runDir, `${name}.pid`), "utf8").then(
      (text) => text.trim(),
      () => null,
    );
  const [db, vswitchd] = await Promise.all([pid("ovsdb-server"), pid("ovs-vswitchd")]);
  return db === null || vswitchd === null ? null : `${db}/${vswitchd}`;
}
