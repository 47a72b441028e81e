// The bridges every intent builds on: the integration bridge, one per mapped physical network and, on a host
// with a tunnel endpoint, br-tun, joined by patch ports. Made once at start-up; a restart finds them and changes nothing.
import type { Logger } from "pino";
import { deviceNames } from "../../lib/names";
import type { Ovs, OvsCommand } from "../host/ovs";
import type { AgentOptions } from "../options";
import { TUNNEL_PATCH } from "../plan/tunnels";

export async function ensureBridges(ovs: Ovs, options: AgentOptions, log: Logger): Promise<void> {
  const commands: OvsCommand[] = [];
  const bridge = (name: string) => {
    commands.push(["--may-exist", "add-br", name]);
    // secure: with no controller, only our flows forward (Neutron's choice); the first apply writes them.
    commands.push(["set", "Bridge", name, `datapath_type=${options.datapathType}`, "fail_mode=secure"]);
  };
  bridge(options.integrationBridge);
  for (const physical of Object.values(options.bridgeMappings)) {
    bridge(physical);
    const intPatch = deviceNames.intPatch(physical);
    const phyPatch = deviceNames.phyPatch(physical);
    commands.push(["--may-exist", "add-port", options.integrationBridge, intPatch]);
    commands.push(["set", "Interface", intPatch, "type=patch", `options:peer=${phyPatch}`]);
    commands.push(["--may-exist", "add-port", physical, phyPatch]);
    commands.push(["set", "Interface", phyPatch, "type=patch", `options:peer=${intPatch}`]);
  }
  if (options.localIp !== undefined) {
    // br-tun, joined to br-int as Neutron's OVS agent does (its VXLAN ports come with the intent's tunnels).
    const { onTunnel, onIntegration } = TUNNEL_PATCH;
    bridge(options.tunnelBridge);
    commands.push(["--may-exist", "add-port", options.integrationBridge, onIntegration]);
    commands.push(["set", "Interface", onIntegration, "type=patch", `options:peer=${onTunnel}`]);
    commands.push(["--may-exist", "add-port", options.tunnelBridge, onTunnel]);
    commands.push(["set", "Interface", onTunnel, "type=patch", `options:peer=${onIntegration}`]);
  }
  await ovs.transact(commands);
  if (options.datapathType === "system") return;
  const tso = (
    await ovs.vsctl(["--if-exists", "get", "Open_vSwitch", ".", "other_config:userspace-tso-enable"])
  ).trim();
  if (tso !== '"true"' && tso !== "true") {
    // Seen here: without it, TCP through veths on the userspace datapath dies on unfilled checksums (ping works).
    log.warn(
      "other_config:userspace-tso-enable is not true: TCP through veth ports will fail (see scripts/ovs-sandbox.sh)",
    );
  }
}
