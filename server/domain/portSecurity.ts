// A port's security groups, port security and allowed address pairs, with Neutron's rules between the three.
import { eq, inArray } from "drizzle-orm";
import type { PortSecurityInput } from "../../lib/schemas/securityGroup";
import type { Executor } from "../db/client";
import { type AddressPair, type PortRow, portSecurityGroups, ports } from "../db/schema";
import { badRequest, conflict } from "./errors";
import { ensureDefaultGroup, resolveGroupOf } from "./securityGroups";
import type { Tx } from "./tx";

/** Neutron's prefix of the device owners that are parts of the network itself: they get no security groups. */
const NETWORK_OWNER = "network:";

/** The security groups of each port. */
export async function groupsOfPorts(ex: Executor, portIds: string[]): Promise<Map<string, string[]>> {
  const byPort = new Map<string, string[]>();
  if (portIds.length === 0) return byPort;
  const rows = await ex.select().from(portSecurityGroups).where(inArray(portSecurityGroups.portId, portIds));
  for (const row of rows) byPort.set(row.portId, [...(byPort.get(row.portId) ?? []), row.securityGroupId]);
  return byPort;
}

/** The groups named, which must be the port's project's (Neutron: a group of another tenant is not found). */
async function namedGroups(tx: Tx, port: PortRow, refs: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const ref of refs) {
    const group = await resolveGroupOf(tx.db, tx.actor, port.projectId, ref);
    if (!ids.includes(group.id)) ids.push(group.id);
  }
  return ids;
}

function addressPairs(port: PortRow, given: PortSecurityInput["allowed_address_pairs"]): AddressPair[] {
  if (given === undefined) return port.allowedAddressPairs;
  const pairs = given.map((p) => ({
    ip_address: p.ip_address,
    mac_address: p.mac_address ?? port.macAddress,
  }));
  const seen = new Set<string>();
  for (const pair of pairs) {
    const key = `${pair.mac_address} ${pair.ip_address}`;
    if (seen.has(key))
      throw badRequest(
        `Request contains duplicate address pair: mac_address ${pair.mac_address} ip_address ${pair.ip_address}.`,
        "DuplicateAddressPairInRequest",
      );
    seen.add(key);
  }
  return pairs;
}

/**
 * Applies what the caller asked of a port's security (on create: `creating`, where an unset list means the
 * project's default group). Refuses, as Neutron does, groups or address pairs on a port without port security.
 */
export async function securePort(
  tx: Tx,
  port: PortRow,
  input: PortSecurityInput,
  creating: boolean,
): Promise<void> {
  const enabled = input.port_security_enabled ?? port.portSecurityEnabled;
  const networkOwned = port.deviceOwner.startsWith(NETWORK_OWNER);
  let groups: string[] | undefined;
  if (input.security_groups !== undefined) groups = await namedGroups(tx, port, input.security_groups);
  else if (creating)
    groups = enabled && !networkOwned ? [(await ensureDefaultGroup(tx, port.projectId)).id] : [];
  const current = (await groupsOfPorts(tx.db, [port.id])).get(port.id) ?? [];
  if (!enabled && (groups ?? current).length > 0) {
    throw creating || input.security_groups !== undefined
      ? badRequest(
          "Port security must be enabled and port must have an IP address in order to use security groups.",
          "PortSecurityAndIPRequiredForSecurityGroups",
        )
      : conflict(
          "Port has security group associated. Cannot disable port security or ip address until security group is removed",
          "PortSecurityPortHasSecurityGroup",
        );
  }
  const pairs = addressPairs(port, input.allowed_address_pairs);
  if (!enabled && pairs.length > 0)
    throw conflict(
      "Port Security must be enabled in order to have allowed address pairs on a port.",
      "AddressPairAndPortSecurityRequired",
    );
  await tx.db
    .update(ports)
    .set({ portSecurityEnabled: enabled, allowedAddressPairs: pairs })
    .where(eq(ports.id, port.id));
  if (groups === undefined) return;
  await tx.db.delete(portSecurityGroups).where(eq(portSecurityGroups.portId, port.id));
  if (groups.length > 0)
    await tx.db
      .insert(portSecurityGroups)
      .values(groups.map((securityGroupId) => ({ portId: port.id, securityGroupId })));
}
