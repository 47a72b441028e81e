// An isolated network's metadata in its DHCP namespace (Neutron's enable_isolated_metadata): 169.254.169.254/32
// on the DHCP port beside its address, and haproxy listening there on port 80, forwarding with the network's ID;
// both go when the network no longer needs them (a router took it over), and come back.
import { describe, expect, it } from "vitest";
import { labDhcp } from "../testing/dhcp";
import { ids, labIntent, unitSettings } from "../testing/intent";
import { observedFrom } from "../testing/observed";
import { planHost } from "./desired";
import { diffHost } from "./diff";
import { observedLocalVlans } from "./localVlans";

const settings = unitSettings;
const ns = `t1-qdhcp-${ids.tenant}`;
const proxyDir = `${settings.metadataDir}/${ids.tenant}`;
const isolated = { ...labIntent(1, null), dhcp: [labDhcp({ metadata: true })] };
const routed = { ...labIntent(2, null), dhcp: [labDhcp()] };

describe("metadata in the DHCP namespace of an isolated network", () => {
  it("puts 169.254.169.254/32 on the DHCP port and runs haproxy on it, port 80, naming the network", () => {
    const plan = planHost(isolated, settings, new Map());
    const dhcp = plan.namespaces.find((n) => n.name === ns);
    expect(dhcp?.devices[0]?.addresses).toEqual(["10.0.0.2/24", "169.254.169.254/32"]);
    const proxy = dhcp?.daemons?.find((d) => d.program === "haproxy");
    expect(proxy?.args).toEqual(["-f", `${proxyDir}/haproxy.cfg`, "-p", `${proxyDir}/pid`]);
    const config = proxy?.files[`${proxyDir}/haproxy.cfg`] ?? "";
    expect(config).toContain("    bind 169.254.169.254:80\n");
    expect(config).toContain(`    server metadata ${settings.relaySocket}\n`);
    expect(config).toContain(`    http-request set-header x-neutron-network-id ${ids.tenant}\n`);
    // The client's own ID headers are dropped before the proxy's are set.
    expect(config.indexOf("del-header x-neutron-network-id")).toBeLessThan(config.indexOf("set-header"));
  });

  it("starts the proxy after the address it binds to is added", () => {
    const plan = planHost(isolated, settings, new Map());
    const before = observedFrom(planHost(routed, settings, new Map()));
    const tags = observedLocalVlans(before.ovsPorts, settings.integrationBridge);
    const actions = diffHost(planHost(isolated, settings, tags), before, settings.prefix);
    expect(actions).toEqual([
      {
        kind: "addr-add",
        ns,
        dev: "ns-c5000000-00",
        address: "169.254.169.254/32",
        resource: ids.tenant,
      },
      {
        kind: "daemon-files",
        ns,
        dir: proxyDir,
        files: plan.namespaces.find((n) => n.name === ns)?.daemons?.[1]?.files,
        resource: ids.tenant,
      },
      {
        kind: "daemon-start",
        ns,
        program: "haproxy",
        args: expect.any(Array),
        pidFile: expect.any(String),
        resource: ids.tenant,
      },
    ]);
  });

  it("stops the proxy and removes the address once the network has a router, keeping dnsmasq", () => {
    const host = observedFrom(planHost(isolated, settings, new Map()));
    const tags = observedLocalVlans(host.ovsPorts, settings.integrationBridge);
    expect(diffHost(planHost(isolated, settings, tags), host, settings.prefix)).toEqual([]);
    expect(diffHost(planHost(routed, settings, tags), host, settings.prefix)).toEqual([
      {
        kind: "daemon-stop",
        ns,
        program: "haproxy",
        pidFile: `${proxyDir}/pid`,
        purge: proxyDir,
        resource: ids.tenant,
      },
      {
        kind: "addr-del",
        ns,
        dev: "ns-c5000000-00",
        address: "169.254.169.254/32",
        resource: ids.tenant,
      },
    ]);
  });
});
