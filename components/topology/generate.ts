// A generated topology for the UI bench (bench/ui.ts, /bench) and layout checks: one external network, R routers with gateways,
// N tenant networks spread over the routers, I instances spread over the networks, a floating IP on every
// tenth instance. Deterministic: same arguments, same data.
import type { Topology } from "./model";

const hex = (n: number, width = 12) => n.toString(16).padStart(width, "0");
const uuid = (kind: number, n: number) => `${hex(kind, 8)}-0000-4000-8000-${hex(n)}`;

export function generateTopology(routers: number, networks: number, instances: number): Topology {
  const project = uuid(9, 1);
  const ext = uuid(1, 0);
  const topo: Topology = {
    networks: [
      {
        id: ext,
        name: "public",
        project_id: project,
        status: "ACTIVE",
        admin_state_up: true,
        external: true,
        shared: false,
        network_type: "flat",
        physical_network: "public",
        segmentation_id: null,
        subnets: [
          { id: uuid(2, 0), name: "public-subnet", cidr: "203.0.113.0/24", gateway_ip: "203.0.113.1" },
        ],
      },
    ],
    routers: [],
    instances: [],
    floatingIps: [],
  };
  for (let r = 0; r < routers; r++) {
    topo.routers.push({
      id: uuid(3, r),
      name: `router-${r}`,
      project_id: project,
      status: "ACTIVE",
      admin_state_up: true,
      gateway: {
        port_id: uuid(4, r),
        network_id: ext,
        subnet_id: uuid(2, 0),
        ip_address: `203.0.113.${10 + (r % 200)}`,
        status: "ACTIVE",
        enable_snat: true,
      },
      interfaces: [],
      routes: [],
    });
  }
  for (let n = 0; n < networks; n++) {
    const id = uuid(5, n);
    const cidr = `10.${Math.floor(n / 256)}.${n % 256}.0/24`;
    const base = cidr.slice(0, cidr.lastIndexOf("."));
    topo.networks.push({
      id,
      name: `net-${n}`,
      project_id: project,
      status: "ACTIVE",
      admin_state_up: true,
      external: false,
      shared: false,
      network_type: "vxlan",
      physical_network: null,
      segmentation_id: 1000 + n,
      subnets: [{ id: uuid(6, n), name: `subnet-${n}`, cidr, gateway_ip: `${base}.1` }],
    });
    const router = topo.routers[n % Math.max(1, routers)];
    router?.interfaces.push({
      port_id: uuid(7, n),
      network_id: id,
      subnet_id: uuid(6, n),
      ip_address: `${base}.1`,
      status: "ACTIVE",
    });
  }
  for (let i = 0; i < instances; i++) {
    const n = i % Math.max(1, networks);
    const net = topo.networks[n + 1];
    if (!net) break;
    const base = net.subnets[0]?.cidr.split(".").slice(0, 3).join(".") ?? "10.0.0";
    const ip = `${base}.${10 + Math.floor(i / networks)}`;
    const portId = uuid(8, i);
    topo.instances.push({
      id: uuid(10, i),
      name: `vm-${i}`,
      project_id: project,
      status: "ACTIVE",
      port: {
        port_id: portId,
        network_id: net.id,
        subnet_id: net.subnets[0]?.id ?? null,
        ip_address: ip,
        status: "ACTIVE",
      },
    });
    if (i % 10 === 0) {
      topo.floatingIps.push({
        id: uuid(11, i),
        floating_ip_address: `198.51.${Math.floor(i / 250)}.${i % 250}`,
        fixed_ip_address: ip,
        port_id: portId,
        router_id: topo.routers[n % Math.max(1, routers)]?.id ?? null,
        floating_network_id: topo.networks[0]?.id ?? ext,
        project_id: project,
        status: "ACTIVE",
      });
    }
  }
  return topo;
}
