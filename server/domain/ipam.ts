// Address management: subnet defaults and pool rules (pure), and allocation, whose safety under concurrency
// comes from the (subnet_id, ip_address) primary key, not from reading first.
import { and, asc, eq } from "drizzle-orm";
import { cidrBounds, cidrContains, fromInt, hostBounds, toInt } from "../../lib/ip";
import type { Pool, PortRow, Route } from "../db/schema";
import { ipAllocations, type SubnetRow, subnets } from "../db/schema";
import { badRequest, conflict } from "./errors";
import { label } from "./refs";
import type { Tx } from "./tx";

const ROUTER_INTERFACE = "network:router_interface";

const range = (p: Pool) => ({ first: toInt(p.start), last: toInt(p.end) });
const poolText = (p: Pool) => `${p.start}-${p.end}`;

export function defaultGateway(cidr: string): string {
  return fromInt(hostBounds(cidr).first);
}

/** All hosts of the subnet minus the gateway: one pool, or two when the gateway sits inside the range. */
export function defaultPools(cidr: string, gatewayIp: string | null): Pool[] {
  const { first, last } = hostBounds(cidr);
  const gw = gatewayIp === null ? undefined : toInt(gatewayIp);
  if (gw === undefined || gw < first || gw > last) return [{ start: fromInt(first), end: fromInt(last) }];
  const pools: Pool[] = [];
  if (gw > first) pools.push({ start: fromInt(first), end: fromInt(gw - 1) });
  if (gw < last) pools.push({ start: fromInt(gw + 1), end: fromInt(last) });
  return pools;
}

export function validateGateway(cidr: string, gatewayIp: string): void {
  if (!cidrContains(cidr, gatewayIp)) {
    throw badRequest(
      `Invalid input for gateway_ip. Reason: Gateway IP ${gatewayIp} is not in subnet ${cidr}`,
    );
  }
  const { first, last } = hostBounds(cidr);
  const gw = toInt(gatewayIp);
  if (gw < first || gw > last) {
    throw badRequest(`Gateway ip ${gatewayIp} is the network or broadcast address of subnet ${cidr}`);
  }
}

export function validatePools(cidr: string, gatewayIp: string | null, pools: Pool[]): void {
  const whole = cidrBounds(cidr);
  const hosts = hostBounds(cidr);
  for (const pool of pools) {
    const r = range(pool);
    if (r.first > r.last) throw badRequest(`Invalid allocation pool ${poolText(pool)}: start is after end`);
    if (r.first < whole.first || r.last > whole.last) {
      throw badRequest(`The allocation pool ${poolText(pool)} spans beyond the subnet cidr ${cidr}`);
    }
    if (r.first < hosts.first || r.last > hosts.last) {
      throw badRequest(
        `The allocation pool ${poolText(pool)} includes the network or broadcast address of ${cidr}`,
      );
    }
  }
  const sorted = pools.map(range).sort((a, b) => a.first - b.first);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (prev && cur && cur.first <= prev.last) throw badRequest("Found overlapping allocation pools");
  }
  if (gatewayIp !== null) {
    const gw = toInt(gatewayIp);
    const holding = pools.find((p) => range(p).first <= gw && gw <= range(p).last);
    if (holding)
      throw conflict(`Gateway ip ${gatewayIp} conflicts with allocation pool ${poolText(holding)}`);
  }
}

/**
 * A host route is handed out by DHCP (option 121) to every client of the subnet, who can only reach a next hop
 * on its own link: one outside the subnet would be a route nobody can use.
 */
export function validateHostRoutes(cidr: string, routes: readonly Route[]): void {
  for (const route of routes) {
    if (!cidrContains(cidr, route.nexthop)) {
      throw badRequest(
        `Invalid input for host_routes. Reason: nexthop ${route.nexthop} of the route to ${route.destination} is not in subnet ${cidr}.`,
      );
    }
  }
}

/** Where a port asks for an address: a subnet, and maybe the address itself. */
export type AddressRequest = { subnet: SubnetRow; ipAddress?: string };

/** The port an address is for: who owns it decides whether it may take the subnet's gateway address. */
export type AddressHolder = Pick<PortRow, "id" | "deviceOwner">;

/** Allocates one address for a port: the asked one, or the lowest free one in the subnet's pools. */
export async function allocate(
  tx: Tx,
  port: AddressHolder,
  request: AddressRequest,
): Promise<string | undefined> {
  const portId = port.id;
  const { subnet, ipAddress } = request;
  if (ipAddress !== undefined) {
    const { first, last } = hostBounds(subnet.cidr);
    const n = toInt(ipAddress);
    if (!cidrContains(subnet.cidr, ipAddress) || n < first || n > last) {
      throw badRequest(
        `IP address ${ipAddress} is not a valid IP for subnet ${label(subnet)} (${subnet.cidr})`,
      );
    }
    // The pools never hold the gateway, but an asked address can: a server, a floating IP or another router's
    // gateway there would answer for the subnet's router and take its traffic.
    if (ipAddress === subnet.gatewayIp && port.deviceOwner !== ROUTER_INTERFACE) {
      throw badRequest(
        `Invalid input for operation: IP address ${ipAddress} is the gateway IP of subnet ${label(subnet)}; only a router interface may take it.`,
      );
    }
    if (!(await tryInsert(tx, portId, subnet.id, ipAddress))) {
      throw conflict(
        `IP address ${ipAddress} already allocated in subnet ${label(subnet)}`,
        "IpAddressAlreadyAllocated",
      );
    }
    return ipAddress;
  }
  // Each failed insert means another transaction took that address since we looked: look again. Every round
  // learns one more taken address, so the loop ends when the pools are exhausted.
  for (;;) {
    const candidate = await firstFree(tx, subnet);
    if (candidate === undefined) return undefined;
    if (await tryInsert(tx, portId, subnet.id, candidate)) return candidate;
  }
}

async function tryInsert(tx: Tx, portId: string, subnetId: string, ipAddress: string): Promise<boolean> {
  const rows = await tx.db
    .insert(ipAllocations)
    .values({ portId, subnetId, ipAddress })
    .onConflictDoNothing()
    .returning({ ip: ipAllocations.ipAddress });
  return rows.length > 0;
}

async function firstFree(tx: Tx, subnet: SubnetRow): Promise<string | undefined> {
  const taken = new Set(
    (
      await tx.db
        .select({ ip: ipAllocations.ipAddress })
        .from(ipAllocations)
        .where(eq(ipAllocations.subnetId, subnet.id))
    ).map((r) => toInt(r.ip)),
  );
  for (const pool of subnet.allocationPools) {
    const r = range(pool);
    for (let n = r.first; n <= r.last; n++) if (!taken.has(n)) return fromInt(n);
  }
  return undefined;
}

export async function subnetsOfNetwork(tx: Tx, networkId: string): Promise<SubnetRow[]> {
  return tx.db
    .select()
    .from(subnets)
    .where(and(eq(subnets.networkId, networkId)))
    .orderBy(asc(subnets.createdAt), asc(subnets.id));
}
