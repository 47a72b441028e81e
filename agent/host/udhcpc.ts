// A DHCP lease for a lab probe, asked the way a VM asks: busybox's udhcpc on the probe's eth0, once (`-q`), with a
// script of ours that only prints what it got (agent/host/udhcpc-lease.sh): the agent applies the address and
// routes itself, and nothing of the host's (its resolv.conf) is touched.
import { fileURLToPath } from "node:url";
import { run } from "./exec";
import { netnsPath } from "./netns";

const script = fileURLToPath(new URL("./udhcpc-lease.sh", import.meta.url));

export type Lease = {
  /** "a.b.c.d/n" */
  address: string;
  routes: { destination: string; via: string }[];
  mtu: number | null;
};

/**
 * What a lease hands out, from udhcpc's variables: the address, and the classless static routes (option 121)
 * when there are, else the router (option 3) as the default route, as RFC 3442 asks of clients.
 */
export function parseLease(output: string): Lease | null {
  const bound = output.split(/^@@ /m).find((block) => block.startsWith("bound"));
  if (bound === undefined) return null;
  const vars = new Map<string, string>();
  for (const line of bound.split("\n")) {
    const match = /^([a-z]+)=(.*)$/.exec(line);
    if (match?.[1] !== undefined) vars.set(match[1], match[2] ?? "");
  }
  const ip = vars.get("ip");
  const mask = vars.get("mask");
  if (ip === undefined || mask === undefined) return null;
  const routes: Lease["routes"] = [];
  const classless = (vars.get("staticroutes") ?? "").split(" ").filter((w) => w !== "");
  for (let i = 0; i + 1 < classless.length; i += 2) {
    const destination = classless[i] ?? "";
    routes.push({
      destination: destination === "0.0.0.0/0" ? "default" : destination,
      via: classless[i + 1] ?? "",
    });
  }
  const router = vars.get("router")?.split(" ")[0];
  if (classless.length === 0 && router !== undefined && router !== "")
    routes.push({ destination: "default", via: router });
  const mtu = Number(vars.get("mtu"));
  return { address: `${ip}/${mask}`, routes, mtu: Number.isInteger(mtu) && mtu > 0 ? mtu : null };
}

/** Asks for a lease on `dev` in the namespace (three tries, a second apart); an error when none comes. */
export async function requestLease(ns: string, dev: string): Promise<Lease> {
  const args = [
    `--net=${netnsPath(ns)}`,
    "busybox",
    "udhcpc",
    "-i",
    dev,
    "-f",
    "-q",
    "-n",
    "-t",
    "3",
    "-T",
    "1",
  ];
  const { stdout, code } = await run("nsenter", [...args, "-s", script, "-O", "mtu", "-O", "staticroutes"], {
    allowFailure: true,
    timeoutMs: 15_000,
  });
  const lease = code === 0 ? parseLease(stdout) : null;
  if (lease === null) throw new Error(`no DHCP lease for ${dev} (no DHCP server answered its MAC)`);
  return lease;
}
