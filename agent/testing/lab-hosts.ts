// Lab hosts for integration tests (and, later, a several-host `npm run up`): scripts/lab-hosts.sh makes each
// host a namespace with its own OVS and tunnel address on an underlay of their own; this starts and stops it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../host/exec";
import { stopDaemonsUnder } from "./host";

const labScript = fileURLToPath(new URL("../../scripts/lab-hosts.sh", import.meta.url));

/** One lab host: what its agent is started with. */
export type LabHost = {
  name: string;
  /** Its network namespace (the agent's `hostNetns`). */
  netns: string;
  /** Its OVSDB socket and run directory (where ovs-vswitchd keeps the bridges' OpenFlow sockets). */
  ovsdb: string;
  runDir: string;
  /** Its tunnel endpoint on the underlay (192.0.2.0/24), on its br-phy. */
  localIp: string;
  /** The OVS bridge holding its port on the physical network `public` (what its agent maps `public` to). */
  publicBridge: string;
};

export type LabHosts = {
  dir: string;
  hosts: LabHost[];
  /** The underlay's namespace (a Linux bridge and each host's veth end), where a capture sees what crosses. */
  underlay: string;
  stop: () => Promise<void>;
};

/**
 * Starts hosts `names` with namespace prefix `prefix` (1-12 of a-z 0-9 -), each host's port on `public` on its
 * bridge in `publicBridges` (br-ex when not named there); stop() removes all of it.
 */
export async function startLabHosts(
  prefix: string,
  names: string[],
  publicBridges: Readonly<Record<string, string>> = {},
): Promise<LabHosts> {
  const dir = await mkdtemp(join(tmpdir(), `netlens-lab-${prefix}`));
  const stop = async () => {
    // Daemons of an agent whose state dir is in here (a test that failed before its cleanup).
    await stopDaemonsUnder(dir);
    await run("bash", [labScript, "stop", dir, prefix]);
    await rm(dir, { recursive: true, force: true });
  };
  let stdout: string;
  try {
    const specs = names.map((name) => {
      const bridge = publicBridges[name];
      return bridge === undefined ? name : `${name}:${bridge}`;
    });
    ({ stdout } = await run("bash", [labScript, "start", dir, prefix, ...specs]));
  } catch (error) {
    await stop();
    throw error;
  }
  const hosts = stdout
    .split("\n")
    .map((line) =>
      /^host (\S+) netns (\S+) ovsdb (\S+) rundir (\S+) local_ip (\S+) public_bridge (\S+)$/.exec(line),
    )
    .flatMap((m) =>
      m === null
        ? []
        : [
            {
              name: m[1] ?? "",
              netns: m[2] ?? "",
              ovsdb: m[3] ?? "",
              runDir: m[4] ?? "",
              localIp: m[5] ?? "",
              publicBridge: m[6] ?? "",
            },
          ],
    );
  return { dir, hosts, underlay: `${prefix}underlay`, stop };
}
