"use client";
// A detail page per resource: its Neutron fields, what hangs off it, and its actions.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { useIsAdmin } from "../auth/viewer";
import { interfaceName } from "../forms/blockers";
import { useDialogs } from "../forms/dialog-context";
import { useTRPC } from "../trpc/provider";
import { Button } from "../ui/controls";
import { StatusBadge } from "../ui/status";
import { DeleteButton, SubnetActions } from "./actions";
import { mono, statusColumn } from "./columns";
import { FieldTable } from "./fields";
import { InstanceSecurity } from "./port-security";
import { DataTable, PageHeader } from "./table";

function Shell({
  back,
  title,
  status,
  actions,
  fields,
  error,
  children,
}: {
  back: { href: string; label: string };
  title: string | undefined;
  status?: string | undefined;
  actions?: ReactNode;
  fields: Record<string, unknown> | undefined;
  error: string | undefined;
  children?: ReactNode;
}) {
  const backLink = (
    <Link href={back.href} className="text-xs text-[var(--color-kind-external)] hover:underline">
      ← {back.label}
    </Link>
  );
  // Not there (or not the caller's): the error, and nothing that waits for data that will not come.
  if (error) {
    return (
      <div className="mx-auto max-w-5xl p-4">
        {backLink}
        <PageHeader title={title ?? "Not found"} />
        <p role="alert" data-testid="detail-error" className="text-[var(--color-state-error)]">
          {error}
        </p>
      </div>
    );
  }
  return (
    <div className="mx-auto max-w-5xl p-4">
      {backLink}
      <PageHeader title={title ?? "…"}>{actions}</PageHeader>
      {status ? <StatusBadge status={status} /> : null}
      <div className="mt-3 grid gap-6 lg:grid-cols-[1fr_1fr]">
        <section>
          {fields ? <FieldTable value={fields} /> : <p className="text-sm text-[var(--muted)]">Loading…</p>}
        </section>
        <section className="flex flex-col gap-4">{children}</section>
      </div>
    </div>
  );
}

export function NetworkDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const { open } = useDialogs();
  const network = useQuery(trpc.network.show.queryOptions({ id }));
  const subnets = useQuery(trpc.subnet.list.queryOptions({ network_id: id }));
  const ports = useQuery(trpc.port.list.queryOptions({ network_id: id }));
  const n = network.data;
  return (
    <Shell
      back={{ href: "/networks", label: "Networks" }}
      title={n ? n.name || n.id : undefined}
      fields={n}
      error={network.error?.message}
      actions={
        n ? (
          <>
            <Button onClick={() => open({ type: "network-edit", id })}>Edit</Button>
            <Button onClick={() => open({ type: "subnet-create", networkId: id })}>Add subnet</Button>
            <DeleteButton
              variant="danger"
              target={{ kind: "network", id, name: n.name || id, noun: "network" }}
            />
          </>
        ) : null
      }
    >
      <h2 className="font-semibold">Subnets</h2>
      <DataTable
        label="Subnets"
        rows={subnets.data ?? []}
        columns={[
          { key: "cidr", header: "CIDR", cell: (s) => s.cidr, sort: (s) => s.cidr },
          { key: "name", header: "Name", cell: (s) => s.name, sort: (s) => s.name },
          { key: "gw", header: "Gateway", cell: (s) => s.gateway_ip ?? "none", sort: (s) => s.gateway_ip },
          {
            key: "pools",
            header: "Pools",
            cell: (s) => s.allocation_pools.map((p) => `${p.start}-${p.end}`).join(", "),
          },
          { key: "dhcp", header: "DHCP", cell: (s) => (s.enable_dhcp ? "on" : "off") },
        ]}
        actions={(s) => <SubnetActions subnet={s} />}
      />
      <h2 className="font-semibold">Ports</h2>
      <DataTable
        label="Ports"
        rows={ports.data ?? []}
        columns={[
          {
            key: "ip",
            header: "Fixed IPs",
            cell: (p) => p.fixed_ips.map((f) => f.ip_address).join(", "),
            sort: (p) => p.fixed_ips[0]?.ip_address ?? null,
          },
          { key: "owner", header: "Device owner", cell: (p) => p.device_owner, sort: (p) => p.device_owner },
          { key: "mac", header: "MAC", cell: (p) => p.mac_address },
          statusColumn(),
        ]}
      />
    </Shell>
  );
}

type SubnetRow = { name: string; cidr: string };

/** A subnet by name and CIDR ("demo-subnet 10.0.0.0/24"); its id only while the list has not loaded. */
const subnetLabel = (s: SubnetRow | undefined, id: string) => (s ? `${s.name || "(no name)"} ${s.cidr}` : id);

export function RouterDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const { open } = useDialogs();
  const router = useQuery(trpc.router.show.queryOptions({ id }));
  const subnets = useQuery(trpc.subnet.list.queryOptions(undefined));
  const subnetOf = new Map(subnets.data?.map((x) => [x.id, x]));
  const r = router.data;
  return (
    <Shell
      back={{ href: "/routers", label: "Routers" }}
      title={r ? r.name || r.id : undefined}
      fields={r}
      error={router.error?.message}
      actions={
        r ? (
          <>
            <Button onClick={() => open({ type: "router-gateway", id })}>Gateway</Button>
            <Button onClick={() => open({ type: "router-interface", id })}>Add interface</Button>
            <Button onClick={() => open({ type: "router-routes", id })}>Extra routes</Button>
            <DeleteButton
              variant="danger"
              target={{ kind: "router", id, name: r.name || id, noun: "router" }}
            />
          </>
        ) : null
      }
    >
      <h2 className="font-semibold">Interfaces</h2>
      <DataTable
        label="Interfaces"
        rows={(r?.interfaces ?? []).map((i) => ({ ...i, id: i.port_id }))}
        columns={[
          {
            key: "subnet",
            header: "Subnet",
            cell: (i) => (
              <span title={i.subnet_id}>{subnetLabel(subnetOf.get(i.subnet_id), i.subnet_id)}</span>
            ),
            sort: (i) => subnetLabel(subnetOf.get(i.subnet_id), i.subnet_id),
          },
          { key: "ip", header: "IP address", cell: (i) => i.ip_address, sort: (i) => i.ip_address },
        ]}
        actions={(i) => (
          <DeleteButton
            target={{
              kind: "routerInterface",
              id,
              subnetId: i.subnet_id,
              name: interfaceName(i.ip_address, subnetOf.get(i.subnet_id)),
              noun: "interface",
            }}
          />
        )}
      />
    </Shell>
  );
}

export function FloatingIpDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const { open } = useDialogs();
  const fip = useQuery(trpc.floatingIp.show.queryOptions({ id }));
  // One that forwards ports cannot be associated (Neutron's FipInUseByPortForwarding): no Associate then.
  const forwards =
    (useQuery(trpc.portForwarding.list.queryOptions({ floatingip_id: id })).data?.length ?? 0) > 0;
  const f = fip.data;
  return (
    <Shell
      back={{ href: "/floating-ips", label: "Floating IPs" }}
      title={f?.floating_ip_address}
      fields={f}
      error={fip.error?.message}
      actions={
        f ? (
          <>
            {f.port_id || forwards ? null : (
              <Button onClick={() => open({ type: "fip-associate", id })}>Associate</Button>
            )}
            <DeleteButton
              variant="danger"
              target={{ kind: "floatingIp", id, name: f.floating_ip_address, noun: "floating IP" }}
            />
          </>
        ) : null
      }
    >
      {f ? (
        <PortForwardings
          floatingIpId={f.id}
          address={f.floating_ip_address}
          associated={f.port_id !== null}
        />
      ) : null}
    </Shell>
  );
}

/** "9000" for "9000:9000", "9000:9010" as it is: a range reads as Neutron writes it. */
const portsText = (range: string) => range.replace(/^(\d+):\1$/, "$1");

/** A floating IP's port forwardings (Neutron's): what reaches which instance port, with add and delete. */
function PortForwardings({
  floatingIpId,
  address,
  associated,
}: {
  floatingIpId: string;
  address: string;
  associated: boolean;
}) {
  const trpc = useTRPC();
  const { open } = useDialogs();
  const isAdmin = useIsAdmin();
  const forwardings = useQuery(trpc.portForwarding.list.queryOptions({ floatingip_id: floatingIpId }));
  const text = (pf: {
    protocol: string;
    external_port_range: string;
    internal_ip_address: string;
    internal_port_range: string;
  }) =>
    `${pf.protocol} ${address}:${portsText(pf.external_port_range)} → ${pf.internal_ip_address}:${portsText(pf.internal_port_range)}`;
  return (
    <section aria-label="Port forwardings" className="flex flex-col gap-2">
      <div className="flex items-center justify-between">
        <h2 className="font-semibold">Port forwardings</h2>
        {isAdmin && !associated ? (
          <Button onClick={() => open({ type: "pf-create", floatingIpId })}>Add port forwarding</Button>
        ) : null}
      </div>
      {associated ? (
        <p className="text-sm text-[var(--muted)]">
          Associated with a port: a floating IP forwards ports or is associated, not both.
        </p>
      ) : null}
      <DataTable
        label="Port forwardings"
        rows={forwardings.data ?? []}
        empty="No port forwardings."
        columns={[
          { key: "protocol", header: "Protocol", cell: (pf) => pf.protocol, sort: (pf) => pf.protocol },
          {
            key: "external",
            header: "External port",
            cell: (pf) => mono(portsText(pf.external_port_range)),
            sort: (pf) => pf.external_port ?? 0,
          },
          {
            key: "internal",
            header: "Internal address",
            cell: (pf) => mono(`${pf.internal_ip_address}:${portsText(pf.internal_port_range)}`),
          },
          { key: "description", header: "Description", cell: (pf) => pf.description },
        ]}
        actions={(pf) => (
          <DeleteButton
            target={{
              kind: "portForwarding",
              id: pf.id,
              floatingIpId,
              name: text(pf),
              noun: "port forwarding",
            }}
          />
        )}
      />
    </section>
  );
}

export function InstanceDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const { open } = useDialogs();
  const server = useQuery(trpc.server.show.queryOptions({ id }));
  const s = server.data;
  return (
    <Shell
      back={{ href: "/instances", label: "Instances" }}
      title={s?.name}
      fields={s}
      error={server.error?.message}
      actions={
        s ? (
          <>
            <Button onClick={() => open({ type: "fip-create", portId: s.port_id })}>
              Allocate floating IP
            </Button>
            <DeleteButton variant="danger" target={{ kind: "server", id, name: s.name, noun: "instance" }} />
          </>
        ) : null
      }
    >
      <InstanceSecurity serverId={id} />
    </Shell>
  );
}
