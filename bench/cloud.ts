// A cloud-sized topology written straight into a bench database (bulk inserts the bench owns; its own speed is
// not measured): one external network, R routers with a gateway each and N/R tenant networks behind each, every
// tenant network with a subnet, a DHCP port and I/N instances, spread over H compute hosts. Rows as the domain
// leaves them once the agent applied everything (ACTIVE, ports bound with vif_type ovs).
import { randomUUID } from "node:crypto";
import { createDb } from "../server/db/client";
import {
  instances,
  ipAllocations,
  networks,
  ports,
  routerPorts,
  routers,
  subnets,
} from "../server/db/schema";
import { ensureProject } from "../server/domain/projects";

export type CloudSize = { routers: number; networks: number; instances: number; hosts: number };

/** Bulk inserts in chunks: PostgreSQL takes at most 65,535 parameters per statement. */
const CHUNK = 1000;

/** Host names as the agents report them. */
export const computeHost = (i: number) => `compute-${String(i + 1).padStart(2, "0")}`;

const mac = (n: number) =>
  `fa:16:3e:${[(n >> 16) & 255, (n >> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, "0")).join(":")}`;

/** The third and fourth octet of tenant network n's 10.x.y.0/24. */
const net24 = (n: number) => `10.${Math.floor(n / 256)}.${n % 256}`;

export async function seedCloud(dataDir: string, size: CloudSize): Promise<void> {
  if (size.networks > 65_536 || size.instances / size.networks > 240)
    throw new Error("cloud too big for /24s");
  const database = await createDb({ dataDir });
  try {
    const { db } = database;
    const admin = await ensureProject(db, "admin", "Built-in administrators");
    const tenant = await ensureProject(db, "cloud", "The bench's tenant");
    type PortRow = typeof ports.$inferInsert;
    const portRows: PortRow[] = [];
    const allocationRows: (typeof ipAllocations.$inferInsert)[] = [];
    let macs = 0;
    const port = (
      row: Omit<PortRow, "id" | "macAddress" | "status" | "vifType">,
      subnetId: string,
      ip: string,
    ) => {
      const id = randomUUID();
      portRows.push({ id, macAddress: mac(++macs), status: "ACTIVE", vifType: "ovs", ...row });
      allocationRows.push({ portId: id, subnetId, ipAddress: ip });
      return id;
    };

    const extId = randomUUID();
    const extSubnet = randomUUID();
    const networkRows: (typeof networks.$inferInsert)[] = [
      {
        id: extId,
        projectId: admin.id,
        name: "public",
        routerExternal: true,
        networkType: "flat",
        physicalNetwork: "public",
        mtu: 1500,
        status: "ACTIVE",
      },
    ];
    const subnetRows: (typeof subnets.$inferInsert)[] = [
      {
        id: extSubnet,
        networkId: extId,
        projectId: admin.id,
        name: "public-subnet",
        cidr: "203.0.112.0/22",
        gatewayIp: "203.0.112.1",
        allocationPools: [{ start: "203.0.112.2", end: "203.0.115.254" }],
        enableDhcp: false,
      },
    ];
    const tenantNets: { id: string; subnet: string; n: number }[] = [];
    for (let n = 0; n < size.networks; n++) {
      const id = randomUUID();
      const subnet = randomUUID();
      const name = `net-${String(n + 1).padStart(4, "0")}`;
      networkRows.push({
        id,
        projectId: tenant.id,
        name,
        networkType: "vxlan",
        segmentationId: 1000 + n,
        mtu: 1450,
        status: "ACTIVE",
      });
      subnetRows.push({
        id: subnet,
        networkId: id,
        projectId: tenant.id,
        name: `${name}-subnet`,
        cidr: `${net24(n)}.0/24`,
        gatewayIp: `${net24(n)}.1`,
        allocationPools: [{ start: `${net24(n)}.2`, end: `${net24(n)}.254` }],
      });
      tenantNets.push({ id, subnet, n });
    }

    const routerRows: (typeof routers.$inferInsert)[] = [];
    const routerPortRows: (typeof routerPorts.$inferInsert)[] = [];
    for (let r = 0; r < size.routers; r++) {
      const id = randomUUID();
      const host = computeHost(r % size.hosts);
      const gw = port(
        {
          networkId: extId,
          projectId: tenant.id,
          deviceOwner: "network:router_gateway",
          deviceId: id,
          hostId: host,
        },
        extSubnet,
        `203.0.${112 + Math.floor((r + 2) / 256)}.${(r + 2) % 256}`,
      );
      routerRows.push({
        id,
        projectId: tenant.id,
        name: `router-${String(r + 1).padStart(3, "0")}`,
        gwPortId: gw,
        status: "ACTIVE",
      });
      // Networks r, r + R, r + 2R, ... behind router r.
      for (const net of tenantNets.filter((t) => t.n % size.routers === r)) {
        const ifPort = port(
          {
            networkId: net.id,
            projectId: tenant.id,
            deviceOwner: "network:router_interface",
            deviceId: id,
            hostId: host,
          },
          net.subnet,
          `${net24(net.n)}.1`,
        );
        routerPortRows.push({ portId: ifPort, routerId: id });
        port(
          {
            networkId: net.id,
            projectId: tenant.id,
            deviceOwner: "network:dhcp",
            deviceId: `dhcp-${net.id}`,
            hostId: host,
          },
          net.subnet,
          `${net24(net.n)}.2`,
        );
      }
    }

    const instanceRows: (typeof instances.$inferInsert)[] = [];
    for (let i = 0; i < size.instances; i++) {
      const net = tenantNets[i % size.networks];
      if (!net) throw new Error("no network");
      const id = randomUUID();
      const host = computeHost(i % size.hosts);
      const portId = port(
        { networkId: net.id, projectId: tenant.id, deviceOwner: "compute:nova", deviceId: id, hostId: host },
        net.subnet,
        `${net24(net.n)}.${10 + Math.floor(i / size.networks)}`,
      );
      instanceRows.push({
        id,
        projectId: tenant.id,
        name: `vm-${String(i + 1).padStart(5, "0")}`,
        portId,
        host,
        status: "ACTIVE",
      });
    }

    const insertAll = async <T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>) => {
      for (let i = 0; i < rows.length; i += CHUNK) await insert(rows.slice(i, i + CHUNK));
    };
    await db.transaction(async (tx) => {
      await insertAll(networkRows, (c) => tx.insert(networks).values(c));
      await insertAll(subnetRows, (c) => tx.insert(subnets).values(c));
      // Routers point at their gateway ports: ports first.
      await insertAll(portRows, (c) => tx.insert(ports).values(c));
      await insertAll(allocationRows, (c) => tx.insert(ipAllocations).values(c));
      await insertAll(routerRows, (c) => tx.insert(routers).values(c));
      await insertAll(routerPortRows, (c) => tx.insert(routerPorts).values(c));
      await insertAll(instanceRows, (c) => tx.insert(instances).values(c));
    });
  } finally {
    await database.close();
  }
}
