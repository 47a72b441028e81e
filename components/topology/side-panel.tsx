"use client";
// The selected node's Neutron fields and what an admin can do with it.
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { AdminOnly, useIsAdmin } from "../auth/viewer";
import { interfaceName } from "../forms/blockers";
import { useDialogs } from "../forms/dialog-context";
import { useDisassociate } from "../forms/use-disassociate";
import { InstanceHostPanel, RouterHostPanel } from "../inspect/panels";
import { DeleteButton, SubnetActions } from "../resources/actions";
import { FieldTable } from "../resources/fields";
import { InstanceSecurity } from "../resources/port-security";
import { usePendingActions } from "../trpc/pending";
import { useTRPC } from "../trpc/provider";
import { Button } from "../ui/controls";
import { useToast } from "../ui/toast";
import type { TopologyNode } from "./graph";
import type { TopoHaState } from "./model";
import { RelatedItem, RelatedList } from "./related";

function useShow(node: TopologyNode) {
  const trpc = useTRPC();
  const id = node.id;
  const network = useQuery({
    ...trpc.network.show.queryOptions({ id }),
    enabled: node.type === "network" || node.type === "external",
  });
  const router = useQuery({ ...trpc.router.show.queryOptions({ id }), enabled: node.type === "router" });
  const server = useQuery({ ...trpc.server.show.queryOptions({ id }), enabled: node.type === "instance" });
  switch (node.type) {
    case "network":
    case "external":
      return network.data;
    case "router":
      return router.data;
    case "instance":
      return server.data;
  }
}

const detailHref: Record<TopologyNode["type"], string> = {
  external: "/networks",
  network: "/networks",
  router: "/routers",
  instance: "/instances",
};

/** The node's actions: admins only (tenants have a read-only view). */
function Actions({ children }: { children: ReactNode }) {
  return (
    <AdminOnly>
      <div className="flex flex-wrap gap-1.5">{children}</div>
    </AdminOnly>
  );
}

function NetworkActions({ node }: { node: TopologyNode }) {
  const { open } = useDialogs();
  const trpc = useTRPC();
  const subnets = useQuery(trpc.subnet.list.queryOptions({ network_id: node.id }));
  const external = node.type === "external";
  return (
    <>
      <Actions>
        <Button onClick={() => open({ type: "network-edit", id: node.id })}>Edit</Button>
        <Button
          onClick={() => open({ type: "subnet-create", networkId: node.id })}
          data-testid="action-add-subnet"
        >
          Add subnet
        </Button>
        {external ? (
          <Button onClick={() => open({ type: "fip-create", networkId: node.id })}>
            Allocate floating IP
          </Button>
        ) : (
          <Button
            onClick={() => open({ type: "server-create", networkId: node.id })}
            data-testid="action-launch"
          >
            Launch instance
          </Button>
        )}
        <DeleteButton
          variant="danger"
          target={{ kind: "network", id: node.id, name: node.data.name || node.id, noun: "network" }}
        />
      </Actions>
      <RelatedList title="Subnets" items={subnets.data}>
        {(s) => (
          <RelatedItem key={s.id} actions={<SubnetActions subnet={s} />}>
            {s.name || s.id.slice(0, 8)} {s.cidr} · gw {s.gateway_ip ?? "none"} · DHCP{" "}
            {s.enable_dhcp ? "on" : "off"}
          </RelatedItem>
        )}
      </RelatedList>
    </>
  );
}

function RouterActions({ node }: { node: Extract<TopologyNode, { type: "router" }> }) {
  const { open } = useDialogs();
  const trpc = useTRPC();
  const { track } = usePendingActions();
  const toast = useToast();
  const router = useQuery(trpc.router.show.queryOptions({ id: node.id }));
  const subnets = useQuery(trpc.subnet.list.queryOptions(undefined));
  const update = useMutation(trpc.router.update.mutationOptions());
  const gw = router.data?.external_gateway_info;
  const subnetOf = new Map(subnets.data?.map((s) => [s.id, s]));
  return (
    <>
      <Actions>
        <Button onClick={() => open({ type: "router-gateway", id: node.id })} data-testid="action-gateway">
          {gw ? "Change gateway" : "Set gateway"}
        </Button>
        {gw ? (
          <Button
            busy={update.isPending}
            onClick={() =>
              update.mutate(
                {
                  id: node.id,
                  external_gateway_info: { network_id: gw.network_id, enable_snat: !gw.enable_snat },
                },
                {
                  onSuccess: (r) =>
                    track({
                      kind: "router",
                      id: r.id,
                      label: r.name,
                      action: gw.enable_snat ? "Disable SNAT on" : "Enable SNAT on",
                    }),
                  onError: (e) => toast("error", e.message),
                },
              )
            }
          >
            {gw.enable_snat ? "Disable SNAT" : "Enable SNAT"}
          </Button>
        ) : null}
        <Button
          onClick={() => open({ type: "router-interface", id: node.id })}
          data-testid="action-add-interface"
        >
          Add interface
        </Button>
        <Button onClick={() => open({ type: "router-routes", id: node.id })}>Extra routes</Button>
        <DeleteButton
          variant="danger"
          target={{ kind: "router", id: node.id, name: node.data.name || node.id, noun: "router" }}
        />
      </Actions>
      <RelatedList title="Interfaces" items={router.data?.interfaces}>
        {(i) => {
          const s = subnetOf.get(i.subnet_id);
          return (
            <RelatedItem
              key={i.port_id}
              actions={
                <DeleteButton
                  target={{
                    kind: "routerInterface",
                    id: node.id,
                    subnetId: i.subnet_id,
                    name: interfaceName(i.ip_address, s),
                    noun: "interface",
                  }}
                />
              }
            >
              {i.ip_address} on {s ? `${s.name || s.id.slice(0, 8)} ${s.cidr}` : i.subnet_id.slice(0, 8)}
            </RelatedItem>
          );
        }}
      </RelatedList>
    </>
  );
}

function InstanceActions({ node }: { node: Extract<TopologyNode, { type: "instance" }> }) {
  const { open } = useDialogs();
  const trpc = useTRPC();
  const server = useQuery(trpc.server.show.queryOptions({ id: node.id }));
  const { disassociate, isPending } = useDisassociate();
  const portId = server.data?.port_id;
  return (
    <>
      <Actions>
        {/* Waits for the instance's port: the floating IP goes on it. */}
        <Button
          onClick={() => open({ type: "fip-create", ...(portId ? { portId } : {}) })}
          disabled={portId === undefined}
          data-testid="action-associate-fip"
        >
          Allocate floating IP
        </Button>
        <DeleteButton
          variant="danger"
          target={{ kind: "server", id: node.id, name: node.data.name, noun: "instance" }}
        />
      </Actions>
      <RelatedList title="Floating IPs" items={node.data.floatingIps}>
        {(f) => (
          <RelatedItem
            key={f.id}
            actions={
              <Button
                variant="ghost"
                data-testid="action-disassociate"
                busy={isPending}
                onClick={() => disassociate(f.id)}
              >
                Disassociate
              </Button>
            }
          >
            {f.floating} → {f.fixed}
          </RelatedItem>
        )}
      </RelatedList>
    </>
  );
}

/**
 * An HA router: that it is one, and (admins) which network node is active and which standby, as `openstack
 * network agent list --router R --long` says in its HA State column.
 */
function HaHosts({ hosts }: { hosts: TopoHaState[] }) {
  return (
    <div className="text-sm" data-testid="panel-ha">
      <span className="text-[var(--muted)]">High availability</span> VRRP on two network nodes
      {hosts.length > 0 ? (
        <ul>
          {hosts.map((h) => (
            <li key={h.host} data-testid="panel-ha-host" data-ha-state={h.ha_state}>
              <span className="text-[var(--muted)]">{h.ha_state}</span> {h.host}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** What the host has for an instance: its port is only known once the server answered. */
function InstanceHost({ node }: { node: Extract<TopologyNode, { type: "instance" }> }) {
  const trpc = useTRPC();
  const server = useQuery(trpc.server.show.queryOptions({ id: node.id }));
  if (!server.data?.port_id) return null;
  return (
    <InstanceHostPanel
      portId={server.data.port_id}
      ip={node.data.ip}
      floatingIps={node.data.floatingIps.map((f) => ({ id: f.id, floating: f.floating }))}
    />
  );
}

export function SidePanel({ node, onClose }: { node: TopologyNode; onClose: () => void }) {
  const details = useShow(node);
  const isAdmin = useIsAdmin();
  return (
    <aside
      aria-label={`Details of ${node.data.name || node.id}`}
      data-testid="side-panel"
      data-id={node.id}
      className="flex max-h-[45%] w-full shrink-0 flex-col gap-3 overflow-y-auto rounded-t-xl border-t border-[var(--border)] bg-[var(--panel)] p-3 shadow-lg md:max-h-none md:w-96 md:rounded-none md:border-t-0 md:border-l md:shadow-none"
    >
      <div className="flex items-center gap-2">
        <h2 className="truncate font-semibold">{node.data.name || node.id}</h2>
        <span className="text-xs text-[var(--muted)] uppercase">{node.type}</span>
        <button
          type="button"
          onClick={onClose}
          aria-label="Close details"
          className="ml-auto px-2 text-[var(--muted)] hover:text-[var(--fg)]"
        >
          ✕
        </button>
      </div>
      {node.type === "router" && node.data.ha ? <HaHosts hosts={node.data.haHosts} /> : null}
      {(node.type === "router" && node.data.haHosts.length === 0) || node.type === "instance"
        ? node.data.host !== null && (
            <p className="text-sm" data-testid="panel-host">
              <span className="text-[var(--muted)]">Host</span> {node.data.host}
            </p>
          )
        : null}
      {node.type === "network" || node.type === "external" ? <NetworkActions node={node} /> : null}
      {node.type === "router" ? <RouterActions node={node} /> : null}
      {node.type === "instance" ? <InstanceActions node={node} /> : null}
      {node.type === "instance" ? <InstanceSecurity serverId={node.id} /> : null}
      {/* What the host has: inspection is for admins (the API refuses tenants). */}
      {node.type === "router" && isAdmin ? (
        <RouterHostPanel routerId={node.id} fipIds={node.data.floatingIps.map((f) => f.id)} />
      ) : null}
      {node.type === "instance" && isAdmin ? <InstanceHost node={node} /> : null}
      <Link
        href={`${detailHref[node.type]}/${node.id}`}
        className="text-xs text-[var(--color-kind-external)] underline"
      >
        Open detail page
      </Link>
      {details ? (
        <FieldTable value={details as Record<string, unknown>} />
      ) : (
        <p className="text-xs text-[var(--muted)]">Loading…</p>
      )}
    </aside>
  );
}
