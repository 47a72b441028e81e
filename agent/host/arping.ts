// Gratuitous ARP from inside a namespace (Debian's iputils-arping), as Neutron's L3 agent sends for addresses
// it adds to a gateway port: upstream routers keep ARP entries for hours, so a floating IP that moved to another
// router (another MAC) would stay unreachable until theirs expired.
import { run } from "./exec";

/** Three unsolicited ARPs, a second apart (Neutron's send_arp_for_ha default); takes ~2 s, so not awaited. */
export async function announceAddress(ns: string, dev: string, address: string): Promise<void> {
  await run("ip", ["netns", "exec", ns, "arping", "-U", "-c", "3", "-w", "3", "-I", dev, address], {
    timeoutMs: 5000,
  });
}
