// What e2e/trace.spec.ts does to the demo through the API (over plain HTTP, as the CLI does): break vm1's
// subnet gateway (the router's interface moves off the gateway address: diagnosis gateway-not-router) and put it
// back. e2e/stack.ts is only read from here.

import { CLIENT_HEADER } from "../lib/client-header";
import { adminToken, apiQuery } from "./stack";

export { apiQuery };

/**
 * A mutation of the API over plain HTTP (tRPC's POST form), with the admin's CLI token (the e2e stack's unless
 * given another).
 */
export async function apiMutation<T>(url: string, path: string, input: unknown, token?: string): Promise<T> {
  const res = await fetch(`${url}/api/trpc/${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token ?? adminToken()}`,
      "content-type": "application/json",
      [CLIENT_HEADER]: "e2e",
    },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  if (!body.result) throw new Error(`${path}: ${body.error?.message ?? res.status}`);
  return body.result.data;
}

export type TraceAnswer = {
  verdict: "delivered" | "dropped";
  forward: { action: string; decided_by: { text: string } }[];
  reply: { action: string; decided_by: { text: string } }[];
  diagnoses: { code: string; hop: string | null; message: string }[];
};

/** A trace answer as text, for a failed expectation's message. */
export function explainTrace(t: TraceAnswer | undefined): string {
  if (!t) return "no answer";
  const hops = (name: string, list: TraceAnswer["forward"]) =>
    list.map((h, i) => `${name}[${i}] ${h.action}: ${h.decided_by.text}`);
  return [
    `verdict ${t.verdict}`,
    ...hops("forward", t.forward),
    ...hops("reply", t.reply),
    ...t.diagnoses.map((d) => `${d.code} at ${d.hop}: ${d.message}`),
  ].join("\n");
}

export const trace = (url: string, from: string, to: string) =>
  apiMutation<TraceAnswer>(url, "trace.run", { from, to });

type RouterShow = { interfaces: { port_id: string; subnet_id: string; ip_address: string }[] };
type SubnetShow = { id: string; gateway_ip: string | null };
type FloatingIpRow = {
  id: string;
  floating_ip_address: string;
  port_id: string | null;
  router_id: string | null;
};

/** The port the break puts the router on: an address of demo-subnet that is not its gateway. */
export const BROKEN_PORT = "e2e-trace-router-port";
export const BROKEN_IP = "10.0.0.250";

async function demo(url: string) {
  const subnet = await apiQuery<SubnetShow>(url, "subnet.show", { id: "demo-subnet" });
  const router = await apiQuery<RouterShow & { id: string }>(url, "router.show", { id: "demo-router" });
  const iface = router.interfaces.find((i) => i.subnet_id === subnet.id);
  return { subnet, router, iface };
}

/**
 * The floating IPs that reach their instances through demo-router, and their ports: they hold the router's
 * interface in place (Neutron refuses to remove it under them), so they are let go while it moves. Other specs
 * may have left some of their own (e2e/inspect.spec.ts associates one with vm2).
 */
async function heldFloatingIps(url: string, routerId: string): Promise<FloatingIpRow[]> {
  const all = await apiQuery<FloatingIpRow[]>(url, "floatingIp.list", {});
  return all.filter((f) => f.port_id !== null && f.router_id === routerId);
}

async function letGo(url: string, held: FloatingIpRow[]): Promise<void> {
  for (const f of held) await apiMutation(url, "floatingIp.update", { id: f.id, port_id: null });
  for (const f of held) await fipSettled(url, f.id, "DOWN");
}

async function takeBack(url: string, held: FloatingIpRow[]): Promise<void> {
  for (const f of held) await apiMutation(url, "floatingIp.update", { id: f.id, port_id: f.port_id });
  for (const f of held) await fipSettled(url, f.id, "ACTIVE");
}

/** demo-router's interface on demo-subnet moves from the gateway (10.0.0.1) to 10.0.0.250. */
export async function breakGateway(url: string): Promise<void> {
  const { router } = await demo(url);
  const held = await heldFloatingIps(url, router.id);
  await letGo(url, held);
  await apiMutation(url, "router.removeInterface", { id: "demo-router", subnet_id: "demo-subnet" });
  const port = await apiMutation<{ id: string }>(url, "port.create", {
    name: BROKEN_PORT,
    network_id: "demo-net",
    fixed_ips: [{ ip_address: BROKEN_IP }],
  });
  await apiMutation(url, "router.addInterface", { id: "demo-router", port_id: port.id });
  await takeBack(url, held);
}

/** Waits until the host has applied the floating IP (ACTIVE) or its removal (DOWN). */
async function fipSettled(url: string, id: string, status: "ACTIVE" | "DOWN"): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const row = await apiQuery<{ status: string; floating_ip_address: string }>(url, "floatingIp.show", {
      id,
    });
    if (row.status === status) return;
    if (Date.now() > deadline)
      throw new Error(`floating IP ${row.floating_ip_address} is ${row.status}, not ${status}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Back as seeded: the interface on the gateway address, the floating IPs where they were. Safe when not broken. */
export async function restoreGateway(url: string): Promise<void> {
  const { subnet, router, iface } = await demo(url);
  if (iface && iface.ip_address === subnet.gateway_ip) return;
  const held = await heldFloatingIps(url, router.id);
  await letGo(url, held);
  if (iface) await apiMutation(url, "router.removeInterface", { id: "demo-router", port_id: iface.port_id });
  await apiMutation(url, "port.delete", { id: BROKEN_PORT }).catch(() => {});
  await apiMutation(url, "router.addInterface", { id: "demo-router", subnet_id: "demo-subnet" });
  await takeBack(url, held);
}
