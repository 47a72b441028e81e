import { describe, expect, it } from "vitest";
import { haNetwork, haRouter, ids, labIntent, unitSettings } from "../testing/intent";
import { emptyHost, observedFrom } from "../testing/observed";
import { planHost } from "./desired";
import { diffHost } from "./diff";
import { handToKeepalived, renderKeepalivedConfig } from "./keepalived";
import type { DesiredNamespace, ObservedHost } from "./pictures";

const settings = unitSettings;
const routerNs = `t1-qrouter-${ids.router}`;

function haIntent(node: 1 | 2 = 1) {
  const intent = labIntent(
    1,
    haRouter(node, { routes: [{ destination: "10.10.0.0/16", nexthop: "10.0.0.254" }] }),
  );
  return { ...intent, networks: [...intent.networks, haNetwork] };
}

function routerOf(plan: { namespaces: DesiredNamespace[] }): DesiredNamespace {
  const ns = plan.namespaces.find((n) => n.name === routerNs);
  if (ns === undefined) throw new Error("no router namespace planned");
  return ns;
}

describe("keepalived.conf of an HA router", () => {
  it("has Neutron's shape: BACKUP, nopreempt, the primary VIP on ha-, the router's addresses and routes excluded", () => {
    const router = routerOf(planHost(haIntent(), settings, new Map()));
    const keepalived = router.daemons?.find((d) => d.program === "keepalived");
    expect(keepalived?.args).toEqual([
      "-P",
      "-f",
      `/var/lib/netlens-test/ha/${ids.router}/keepalived.conf`,
      "-p",
      `/var/lib/netlens-test/ha/${ids.router}/keepalived.pid`,
      "-r",
      `/var/lib/netlens-test/ha/${ids.router}/vrrp.pid`,
    ]);
    expect(Object.values(keepalived?.files ?? {})).toEqual([
      `global_defs {
    notification_email_from netlens@openstack.local
    router_id netlens
    vrrp_version 3
}
vrrp_instance VR_1 {
    state BACKUP
    interface ha-c9100000-00
    virtual_router_id 1
    priority 50
    garp_master_delay 60
    nopreempt
    advert_int 0.5
    track_interface {
        ha-c9100000-00
    }
    virtual_ipaddress {
        169.254.0.1/24 dev ha-c9100000-00
    }
    virtual_ipaddress_excluded {
        203.0.113.10/24 dev qg-c1000000-00
        203.0.113.20/32 dev qg-c1000000-00
        10.0.0.1/24 dev qr-c2000000-00
    }
    virtual_routes {
        0.0.0.0/0 via 203.0.113.1 dev qg-c1000000-00
        10.10.0.0/16 via 10.0.0.254
    }
}
`,
    ]);
  });

  it("takes the priority and the advert interval from the intent, and leaves out empty blocks", () => {
    const text = renderKeepalivedConfig(
      { vr_id: 7, ha_port: haRouter(2).ha?.ha_port ?? ({} as never), priority: 100, advert_int: 1.5 },
      handToKeepalived([], [], "ha-x", null).vips,
    );
    expect(text).toContain("    priority 100\n");
    expect(text).toContain("    advert_int 1.5\n");
    expect(text).toContain("        169.254.0.7/24 dev ha-x\n");
    expect(text).not.toContain("virtual_ipaddress_excluded");
    expect(text).not.toContain("virtual_routes");
  });
});

describe("an HA router's plan", () => {
  it("leaves the router's addresses and routes to keepalived; the ha- device holds its own address", () => {
    const plan = planHost(haIntent(2), settings, new Map());
    const router = routerOf(plan);
    const byName = new Map(router.devices.map((d) => [d.name, d]));
    expect(byName.get("qg-c1000000-00")).toMatchObject({
      addresses: [],
      vips: ["203.0.113.10/24", "203.0.113.20/32"],
      announce: false,
    });
    expect(byName.get("qr-c2000000-00")).toMatchObject({ addresses: [], vips: ["10.0.0.1/24"] });
    expect(byName.get("ha-c9200000-00")).toMatchObject({
      addresses: ["169.254.192.2/18"],
      vips: ["169.254.0.1/24"],
      mac: "fa:16:3e:00:09:02",
    });
    expect(router.routes).toEqual([]);
    expect(router.vipRoutes).toEqual([
      { destination: "default", via: "203.0.113.1" },
      { destination: "10.10.0.0/16", via: "10.0.0.254" },
    ]);
    // The NAT rules are the same on every node: they match only where keepalived put the addresses.
    const legacy = routerOf(planHost(labIntent(1), settings, new Map()));
    expect(router.nat).toEqual(legacy.nat);
    // The ha- device is on the integration bridge, in the HA network's local VLAN.
    const haTap = plan.ovsPorts.find((p) => p.name === "tapc9200000-00");
    expect(haTap?.externalIds["netlens-network-id"]).toBe(ids.haNetwork);
    expect(haTap?.tag).not.toBeNull();
  });

  it("makes the namespace without IPv6, adding no VIP and announcing none, then starts keepalived", () => {
    const actions = diffHost(planHost(haIntent(), settings, new Map()), emptyHost(), settings.prefix).filter(
      (a) => "ns" in a && a.ns === routerNs,
    );
    const added = actions.flatMap((a) => (a.kind === "addr-add" ? [`${a.dev} ${a.address}`] : []));
    expect(added).toEqual(["ha-c9100000-00 169.254.192.1/18"]);
    expect(actions.filter((a) => a.kind === "arp-announce" || a.kind === "route-set")).toEqual([]);
    // IPv6 off before the devices come up: the standby's qg-/qr- share the MASTER's MACs.
    expect(actions.filter((a) => a.kind === "ipv6-off")).toEqual([
      { kind: "ipv6-off", ns: routerNs, resource: ids.router },
    ]);
    expect(actions.filter((a) => a.kind === "daemon-start").map((a) => a.program)).toEqual([
      "haproxy",
      "keepalived",
    ]);
  });

  it("changes nothing on the MASTER holding the VIPs and routes, nor on the standby holding none", () => {
    const plan = planHost(haIntent(), settings, new Map());
    const standby = observedFrom(plan);
    expect(diffHost(plan, standby, settings.prefix)).toEqual([]);
    const master = withVips(standby, routerOf(plan));
    expect(diffHost(plan, master, settings.prefix)).toEqual([]);
  });

  it("reloads keepalived (SIGHUP, no failover) when a floating IP comes, and removes nothing the MASTER holds", () => {
    const before = planHost(haIntent(), settings, new Map());
    const master = withVips(observedFrom(before), routerOf(before));
    const intent = haIntent();
    const [router] = intent.routers;
    if (router === undefined) throw new Error("no router");
    router.floating_ips.push({
      id: ids.fip.replace(/1$/, "2"),
      floating_ip_address: "203.0.113.21",
      fixed_ip_address: "10.0.0.6",
    });
    const actions = diffHost(planHost(intent, settings, new Map()), master, settings.prefix);
    const kinds = actions.map((a) =>
      a.kind.startsWith("daemon") && "program" in a ? `${a.kind} ${a.program}` : a.kind,
    );
    expect(kinds).toEqual(["nat-chains", "daemon-files", "daemon-reload keepalived"]);
  });
});

describe("a keepalived that died on the MASTER", () => {
  it("is started again only once what it left (the router's addresses and routes) is gone: it comes up BACKUP", () => {
    const plan = planHost(haIntent(), settings, new Map());
    const master = withVips(observedFrom(plan), routerOf(plan));
    const seen = master.namespaces.get(routerNs);
    if (seen === undefined) throw new Error("no router namespace observed");
    master.namespaces.set(routerNs, {
      ...seen,
      daemons: (seen.daemons ?? []).map((d) => (d.program === "keepalived" ? { ...d, pid: null } : d)),
    });
    const actions = diffHost(plan, master, settings.prefix).map((a) =>
      a.kind === "addr-del"
        ? `addr-del ${a.dev} ${a.address}`
        : a.kind === "route-del"
          ? `route-del ${a.destination}`
          : a.kind === "daemon-start"
            ? `start ${a.program}`
            : a.kind,
    );
    expect(actions).toEqual([
      "addr-del qg-c1000000-00 203.0.113.10/24",
      "addr-del qg-c1000000-00 203.0.113.20/32",
      "addr-del qr-c2000000-00 10.0.0.1/24",
      "addr-del ha-c9100000-00 169.254.0.1/24",
      "route-del default",
      "route-del 10.10.0.0/16",
      "daemon-files",
      "start keepalived",
    ]);
  });
});

/** The host as the MASTER's keepalived leaves it: every VIP on its device, the virtual routes set. */
function withVips(host: ObservedHost, router: DesiredNamespace): ObservedHost {
  const seen = host.namespaces.get(router.name);
  if (seen === undefined) throw new Error("no router namespace observed");
  const namespaces = new Map(host.namespaces);
  namespaces.set(router.name, {
    ...seen,
    devices: seen.devices.map((d) => ({
      ...d,
      addresses: [...d.addresses, ...(router.devices.find((w) => w.name === d.name)?.vips ?? [])],
    })),
    routes: [
      ...seen.routes,
      ...(router.vipRoutes ?? []).map((r) => ({ ...r, dev: null, protocol: "keepalived" })),
    ],
  });
  return { ...host, namespaces };
}
