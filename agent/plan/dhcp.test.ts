import { describe, expect, it } from "vitest";
import { admitIntent } from "../converge/admit";
import { dhcpClient, dhcpIds, labDhcp } from "../testing/dhcp";
import { ids, labIntent, unitSettings } from "../testing/intent";
import { emptyHost } from "../testing/observed";
import { diffDaemons } from "./daemons";
import { planHost } from "./desired";
import { dhcpPaths, dnsmasqArgs, renderAddnHosts, renderHosts, renderOpts } from "./dhcp";
import { diffHost } from "./diff";
import type { DesiredDaemon, ObservedDaemon, ObservedHost } from "./pictures";

const settings = unitSettings;
const paths = dhcpPaths(settings.dhcpDir, ids.tenant);
const dir = `/var/lib/netlens-test/dhcp/${ids.tenant}`;

describe("dnsmasq's files", () => {
  it("lists every fixed IP as mac,fqdn,ip in address order, and the same names for DNS", () => {
    const dhcp = labDhcp({
      hosts: [
        dhcpClient,
        {
          ...dhcpClient,
          mac_address: "fa:16:3e:00:00:10",
          ip_address: "10.0.0.10",
          hostname: "host-10-0-0-10",
        },
        labDhcp().hosts[0] ?? dhcpClient,
      ],
    });
    expect(renderHosts(dhcp)).toBe(
      "fa:16:3e:00:00:06,host-10-0-0-2.openstacklocal,10.0.0.2\n" +
        "fa:16:3e:00:00:05,host-10-0-0-5.openstacklocal,10.0.0.5\n" +
        "fa:16:3e:00:00:10,host-10-0-0-10.openstacklocal,10.0.0.10\n",
    );
    expect(renderAddnHosts(dhcp).split("\n")[1]).toBe("10.0.0.5\thost-10-0-0-5.openstacklocal host-10-0-0-5");
  });

  it("gives the router, the MTU, and no routes option without host routes", () => {
    expect(renderOpts(labDhcp())).toBe(
      `tag:subnet-${dhcpIds.subnet},option:mtu,1450\ntag:subnet-${dhcpIds.subnet},option:router,10.0.0.1\n`,
    );
  });

  it("puts host routes and the default route via the gateway in options 121 and 249, DNS servers in 6", () => {
    const subnet = labDhcp().subnets[0];
    if (subnet === undefined) throw new Error("lab DHCP has a subnet");
    const dhcp = labDhcp({
      subnets: [
        {
          ...subnet,
          dns_nameservers: ["192.0.2.53", "192.0.2.54"],
          host_routes: [{ destination: "192.168.50.0/24", nexthop: "10.0.0.254" }],
        },
      ],
    });
    const tag = `tag:subnet-${dhcpIds.subnet}`;
    expect(renderOpts(dhcp).split("\n")).toEqual([
      `${tag},option:dns-server,192.0.2.53,192.0.2.54`,
      `${tag},option:classless-static-route,192.168.50.0/24,10.0.0.254,0.0.0.0/0,10.0.0.1`,
      `${tag},249,192.168.50.0/24,10.0.0.254,0.0.0.0/0,10.0.0.1`,
      `${tag},option:mtu,1450`,
      `${tag},option:router,10.0.0.1`,
      "",
    ]);
  });

  it("sends no router for a subnet without gateway (an empty option 3, not dnsmasq's own address)", () => {
    const subnet = labDhcp().subnets[0];
    if (subnet === undefined) throw new Error("lab DHCP has a subnet");
    const dhcp = labDhcp({
      subnets: [
        {
          ...subnet,
          gateway_ip: null,
          host_routes: [{ destination: "192.168.50.0/24", nexthop: "10.0.0.254" }],
        },
      ],
    });
    expect(renderOpts(dhcp)).toContain(`tag:subnet-${dhcpIds.subnet},option:router\n`);
    expect(renderOpts(dhcp)).toContain("classless-static-route,192.168.50.0/24,10.0.0.254\n");
  });
});

describe("dnsmasq's command line", () => {
  it("is the DHCP agent's: static ranges per subnet tag, files of ours, our device only, no host config", () => {
    const subnet = labDhcp().subnets[0];
    if (subnet === undefined) throw new Error("lab DHCP has a subnet");
    const dhcp = labDhcp({
      subnets: [subnet, { ...subnet, id: dhcpIds.subnet2, cidr: "10.0.8.0/22", gateway_ip: null }],
    });
    expect(dnsmasqArgs(dhcp, paths, "ns-c5000000-00")).toEqual([
      "--no-hosts",
      "--no-resolv",
      `--pid-file=${dir}/pid`,
      `--dhcp-hostsfile=${dir}/host`,
      `--addn-hosts=${dir}/addn_hosts`,
      `--dhcp-optsfile=${dir}/opts`,
      "--leasefile-ro",
      "--interface=ns-c5000000-00",
      "--bind-interfaces",
      "--except-interface=lo",
      `--dhcp-range=set:subnet-${dhcpIds.subnet},10.0.0.0,static,255.255.255.0,86400s`,
      `--dhcp-range=set:subnet-${dhcpIds.subnet2},10.0.8.0,static,255.255.252.0,86400s`,
      "--dhcp-lease-max=1280",
      "--conf-file=/dev/null",
      "--domain=openstacklocal",
      `--log-facility=${dir}/log`,
    ]);
  });
});

describe("the DHCP namespace in the plan", () => {
  const intent = { ...labIntent(1, null), dhcp: [labDhcp()] };
  const empty = emptyHost();

  it("is qdhcp-<network> with ns-<port> holding the port's address, its tap on br-int with the network's tag", () => {
    const plan = planHost(intent, settings, new Map());
    const ns = plan.namespaces.find((n) => n.kind === "dhcp");
    expect(ns?.name).toBe(`t1-qdhcp-${ids.tenant}`);
    expect(ns?.resourceId).toBe(ids.tenant);
    expect(ns?.devices).toEqual([
      {
        name: "ns-c5000000-00",
        peer: "tapc5000000-00",
        mac: "fa:16:3e:00:00:06",
        mtu: 1450,
        addresses: ["10.0.0.2/24"],
        announce: false,
      },
    ]);
    expect(ns?.routes).toEqual([{ destination: "default", via: "10.0.0.1" }]);
    const port = plan.ovsPorts.find((p) => p.name === "tapc5000000-00");
    const instanceTap = plan.ovsPorts.find((p) => p.name === "tapc4000000-00");
    expect(port?.tag).toBe(instanceTap?.tag); // one local VLAN per network
    expect(port?.externalIds["iface-id"]).toBe(dhcpIds.port);
    expect(ns?.daemons?.[0]?.files[`${dir}/host`]).toBe(renderHosts(labDhcp()));
  });

  it("on an empty host: namespace, veth, port, files, then dnsmasq started after the addresses", () => {
    const actions = diffHost(planHost(intent, settings, new Map()), empty, settings.prefix);
    const kinds = actions
      .filter((a) => a.resource === ids.tenant && "ns" in a && a.ns.includes("qdhcp"))
      .map((a) => a.kind);
    expect(kinds).toEqual([
      "daemon-stop",
      "netns-add",
      "veth-add",
      "lo-up",
      "link-set",
      "addr-add",
      "route-set",
      "daemon-files",
      "daemon-start",
    ]);
  });

  it("stops dnsmasq and removes its files before the namespace goes", () => {
    const ns = `t1-qdhcp-${ids.tenant}`;
    const observed: ObservedHost = {
      ...empty,
      namespaces: new Map([
        [
          ns,
          {
            name: ns,
            loUp: true,
            devices: [],
            routes: [],
            nat: null,
            daemons: [{ program: "dnsmasq", dir, pidFile: `${dir}/pid`, pid: 4242, args: [], files: {} }],
          },
        ],
      ]),
    };
    const actions = diffHost(planHost(labIntent(1, null), settings, new Map()), observed, settings.prefix);
    expect(actions.slice(0, 2)).toEqual([
      {
        kind: "daemon-stop",
        ns,
        program: "dnsmasq",
        pidFile: `${dir}/pid`,
        purge: dir,
        resource: ids.tenant,
      },
      { kind: "netns-del", ns, resource: ids.tenant },
    ]);
  });

  it("refuses a DHCP server whose port has an address on no subnet it serves, and plans the rest", () => {
    const bad = labDhcp({
      addresses: [{ subnet_id: dhcpIds.subnet2, ip_address: "10.0.8.2", prefixlen: 22 }],
    });
    const plan = planHost({ ...intent, dhcp: [bad] }, settings, new Map());
    expect(plan.errors).toEqual([
      { resource_id: ids.tenant, message: "DHCP port address 10.0.8.2 is on no subnet served" },
    ]);
    expect(plan.namespaces.some((n) => n.kind === "instance")).toBe(true);
  });

  it("refuses a hostname that could break the hosts file, naming the network", () => {
    const raw = { ...intent, dhcp: [labDhcp({ hosts: [{ ...dhcpClient, hostname: "a,b\nc" }] })] };
    const { intent: admitted, refused } = admitIntent(raw, settings.prefix);
    expect(admitted.dhcp).toEqual([]);
    expect(refused[0]?.resource_id).toBe(ids.tenant);
    expect(refused[0]?.namespace).toBe(`t1-qdhcp-${ids.tenant}`);
    expect(refused[0]?.message).toContain("A hostname: one DNS label");
  });
});

describe("what dnsmasq needs", () => {
  const want: DesiredDaemon = {
    program: "dnsmasq",
    dir,
    pidFile: `${dir}/pid`,
    args: ["--a", "--b"],
    files: { [`${dir}/host`]: "h\n", [`${dir}/opts`]: "o\n" },
  };
  const running: ObservedDaemon = { ...want, pid: 99, files: { ...want.files } };
  const ns = "qdhcp-x";
  const diff = (seen: ObservedDaemon) => diffDaemons([want], [seen], ns, "r").map((a) => a.kind);

  it("nothing when it runs as asked", () => {
    expect(diff(running)).toEqual([]);
  });
  it("a reload (SIGHUP) when only a file changed; a restart when a host left (its lease would hold the address)", () => {
    expect(diff({ ...running, files: { ...running.files, [`${dir}/host`]: "old\n" } })).toEqual([
      "daemon-files",
      "daemon-reload",
    ]);
    const hosts = (text: string) => ({ ...running, files: { ...running.files, [`${dir}/host`]: text } });
    const leases: DesiredDaemon = {
      ...want,
      restartOnRemoval: `${dir}/host`,
      files: { [`${dir}/host`]: "a\nh\n" },
    };
    const kinds = (seen: ObservedDaemon) => diffDaemons([leases], [seen], ns, "r").map((a) => a.kind);
    // A host added: reloaded; a host gone (or given to another MAC): restarted.
    expect(kinds(hosts("h\n"))).toEqual(["daemon-files", "daemon-reload"]);
    expect(kinds(hosts("a\ngone\nh\n"))).toEqual(["daemon-stop", "daemon-files", "daemon-start"]);
  });
  it("a start when it is dead (drift), a restart when its command line changed", () => {
    expect(diff({ ...running, pid: null })).toEqual(["daemon-files", "daemon-start"]);
    expect(diff({ ...running, args: ["--a"] })).toEqual(["daemon-stop", "daemon-files", "daemon-start"]);
  });
  it("haproxy is restarted, not reloaded, when its configuration changed; a daemon no longer wanted stops", () => {
    const proxy: DesiredDaemon = { ...want, program: "haproxy" };
    const stale: ObservedDaemon = { ...proxy, pid: 7, files: { [`${dir}/host`]: "old\n" } };
    expect(diffDaemons([proxy], [stale], ns, "r").map((a) => a.kind)).toEqual([
      "daemon-stop",
      "daemon-files",
      "daemon-start",
    ]);
    expect(diffDaemons([], [stale], ns, "r")).toEqual([
      { kind: "daemon-stop", ns, program: "haproxy", pidFile: proxy.pidFile, purge: dir, resource: "r" },
    ]);
  });
});

describe("a probe on a DHCP subnet", () => {
  const lab = labIntent(1, null);
  const intent = { ...lab, instances: lab.instances.map((i) => ({ ...i, dhcp: true })), dhcp: [labDhcp()] };
  const empty = emptyHost();

  it("asks for one lease instead of adding its address and routes, after the DHCP server starts", () => {
    const actions = diffHost(planHost(intent, settings, new Map()), empty, settings.prefix);
    const mine = actions.filter((a) => a.resource === ids.instance).map((a) => a.kind);
    expect(mine).toEqual(["netns-add", "veth-add", "ovs-port-set", "lo-up", "link-set", "dhcp-lease"]);
    const kinds = actions.map((a) => a.kind);
    expect(kinds.indexOf("daemon-start")).toBeLessThan(kinds.indexOf("dhcp-lease"));
  });
});
