// What this host is for an HA router, read as Neutron's keepalived-state-change monitor reads it: keepalived
// holds the primary VIP (169.254.0.<vr_id>/24, the one address VRRP adverts carry) on the router's `ha-` device
// exactly while it is MASTER. Pure: from the namespace's `ip -json addr` and whether keepalived runs.
import type { HaState, IpJsonLink } from "../../lib/host-snapshot";
import { cidrContains } from "../../lib/ip";

const PRIMARY_VIPS = "169.254.0.0/24";

export function haState(links: readonly IpJsonLink[], running: boolean): HaState {
  const ha = links.find((link) => link.ifname?.startsWith("ha-"));
  if (!running || ha === undefined || !(ha.flags ?? []).includes("LOWER_UP")) return "fault";
  const master = (ha.addr_info ?? []).some(
    (a) =>
      a.family === "inet" &&
      a.prefixlen === 24 &&
      typeof a.local === "string" &&
      cidrContains(PRIMARY_VIPS, a.local),
  );
  return master ? "active" : "standby";
}
