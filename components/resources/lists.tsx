"use client";
// The list pages: Neutron's columns, sortable, with each row's actions.
import { useQuery } from "@tanstack/react-query";
import { useDialogs } from "../forms/dialog-context";
import { useDisassociate } from "../forms/use-disassociate";
import { useTRPC } from "../trpc/provider";
import { Button } from "../ui/controls";
import { StatusBadge } from "../ui/status";
import { DeleteButton } from "./actions";
import { mono, nameColumn, projectColumn, statusColumn, yes } from "./columns";
import { ListPage } from "./list-page";

function useNames() {
  const trpc = useTRPC();
  const networks = useQuery(trpc.network.list.queryOptions(undefined)).data ?? [];
  const projects = useQuery(trpc.project.list.queryOptions());
  const ports = useQuery(trpc.port.list.queryOptions(undefined)).data ?? [];
  const servers = useQuery(trpc.server.list.queryOptions(undefined)).data ?? [];
  const serverName = new Map(servers.map((s) => [s.id, s.name]));
  return {
    network: new Map(networks.map((n) => [n.id, n.name || n.id])),
    project: new Map((projects.data ?? []).map((p) => [p.id, p.name])),
    projectsLoaded: projects.isSuccess,
    /** A port by what it is to people: the instance it belongs to, else its name. */
    port: new Map(ports.map((p) => [p.id, serverName.get(p.device_id) ?? (p.name || p.id.slice(0, 8))])),
  };
}

export function NetworksList() {
  const trpc = useTRPC();
  const { open } = useDialogs();
  const names = useNames();
  const networks = useQuery(trpc.network.list.queryOptions(undefined));
  const subnets = useQuery(trpc.subnet.list.queryOptions(undefined));
  const cidrs = new Map<string, string[]>();
  for (const s of subnets.data ?? []) cidrs.set(s.network_id, [...(cidrs.get(s.network_id) ?? []), s.cidr]);
  return (
    <ListPage
      title="Networks"
      create={
        <>
          <Button onClick={() => open({ type: "network-create" })}>+ Network</Button>
          <Button onClick={() => open({ type: "subnet-create" })}>+ Subnet</Button>
        </>
      }
      rows={networks.data}
      href={(n) => `/networks/${n.id}`}
      columns={[
        nameColumn(),
        {
          key: "subnets",
          header: "Subnets",
          cell: (n) => mono((cidrs.get(n.id) ?? []).join(", ")),
          sort: (n) => (cidrs.get(n.id) ?? []).join(),
        },
        projectColumn(names.project, names.projectsLoaded),
        {
          key: "external",
          header: "External",
          cell: (n) => yes(n["router:external"]),
          sort: (n) => n["router:external"],
        },
        { key: "shared", header: "Shared", cell: (n) => yes(n.shared), sort: (n) => n.shared },
        {
          key: "type",
          header: "Provider",
          cell: (n) =>
            mono(
              `${n["provider:network_type"]}${n["provider:physical_network"] ? `:${n["provider:physical_network"]}` : ""}${n["provider:segmentation_id"] !== null ? ` ${n["provider:segmentation_id"]}` : ""}`,
            ),
          sort: (n) => n["provider:network_type"],
        },
        { key: "mtu", header: "MTU", cell: (n) => mono(n.mtu), sort: (n) => n.mtu },
        statusColumn(),
      ]}
      actions={(n) => (
        <>
          <Button variant="ghost" onClick={() => open({ type: "network-edit", id: n.id })}>
            Edit
          </Button>
          <DeleteButton target={{ kind: "network", id: n.id, name: n.name || n.id, noun: "network" }} />
        </>
      )}
    />
  );
}

export function RoutersList() {
  const trpc = useTRPC();
  const { open } = useDialogs();
  const names = useNames();
  const routers = useQuery(trpc.router.list.queryOptions(undefined));
  return (
    <ListPage
      title="Routers"
      create={<Button onClick={() => open({ type: "router-create" })}>+ Router</Button>}
      rows={routers.data}
      href={(r) => `/routers/${r.id}`}
      columns={[
        nameColumn(),
        {
          key: "gateway",
          header: "External gateway",
          cell: (r) =>
            mono(
              r.external_gateway_info
                ? `${names.network.get(r.external_gateway_info.network_id) ?? ""} ${r.external_gateway_info.external_fixed_ips.map((f) => f.ip_address).join(", ")}`
                : null,
            ),
          sort: (r) => r.external_gateway_info?.network_id ?? null,
        },
        {
          key: "snat",
          header: "SNAT",
          cell: (r) => (r.external_gateway_info ? yes(r.external_gateway_info.enable_snat) : "—"),
          sort: (r) => r.external_gateway_info?.enable_snat ?? null,
        },
        {
          key: "interfaces",
          header: "Interfaces",
          cell: (r) => mono(r.interfaces.map((i) => i.ip_address).join(", ")),
          sort: (r) => r.interfaces.length,
        },
        {
          key: "routes",
          header: "Routes",
          cell: (r) => mono(r.routes.map((x) => `${x.destination} via ${x.nexthop}`).join(", ")),
          sort: (r) => r.routes.length,
        },
        projectColumn(names.project, names.projectsLoaded),
        statusColumn(),
      ]}
      actions={(r) => (
        <>
          <Button variant="ghost" onClick={() => open({ type: "router-gateway", id: r.id })}>
            Gateway
          </Button>
          <Button variant="ghost" onClick={() => open({ type: "router-interface", id: r.id })}>
            Add interface
          </Button>
          <DeleteButton target={{ kind: "router", id: r.id, name: r.name || r.id, noun: "router" }} />
        </>
      )}
    />
  );
}

export function FloatingIpsList() {
  const trpc = useTRPC();
  const { open } = useDialogs();
  const { disassociate } = useDisassociate();
  const names = useNames();
  const fips = useQuery(trpc.floatingIp.list.queryOptions(undefined));
  return (
    <ListPage
      title="Floating IPs"
      create={<Button onClick={() => open({ type: "fip-create" })}>+ Allocate</Button>}
      rows={fips.data}
      href={(f) => `/floating-ips/${f.id}`}
      columns={[
        {
          key: "address",
          header: "Floating IP address",
          cell: (f) => mono(f.floating_ip_address),
          sort: (f) => f.floating_ip_address,
        },
        {
          key: "fixed",
          header: "Fixed IP address",
          cell: (f) => mono(f.fixed_ip_address),
          sort: (f) => f.fixed_ip_address,
        },
        {
          key: "port",
          header: "Port",
          cell: (f) =>
            f.port_id ? (
              <span title={f.port_id}>{names.port.get(f.port_id) ?? f.port_id.slice(0, 8)}</span>
            ) : (
              mono(null)
            ),
          sort: (f) => (f.port_id ? (names.port.get(f.port_id) ?? f.port_id) : null),
        },
        {
          key: "network",
          header: "Floating network",
          cell: (f) => names.network.get(f.floating_network_id) ?? f.floating_network_id,
          sort: (f) => names.network.get(f.floating_network_id) ?? "",
        },
        {
          key: "status",
          header: "Status",
          cell: (f) => <StatusBadge status={f.status} />,
          sort: (f) => f.status,
        },
      ]}
      actions={(f) => (
        <>
          {f.port_id ? (
            <Button variant="ghost" onClick={() => disassociate(f.id)}>
              Disassociate
            </Button>
          ) : (
            <Button variant="ghost" onClick={() => open({ type: "fip-associate", id: f.id })}>
              Associate
            </Button>
          )}
          <DeleteButton
            target={{ kind: "floatingIp", id: f.id, name: f.floating_ip_address, noun: "floating IP" }}
          />
        </>
      )}
    />
  );
}

export function InstancesList() {
  const trpc = useTRPC();
  const { open } = useDialogs();
  const names = useNames();
  const servers = useQuery(trpc.server.list.queryOptions(undefined));
  return (
    <ListPage
      title="Instances"
      create={<Button onClick={() => open({ type: "server-create" })}>+ Launch instance</Button>}
      rows={servers.data}
      href={(s) => `/instances/${s.id}`}
      columns={[
        { key: "name", header: "Name", cell: (s) => s.name, sort: (s) => s.name },
        {
          key: "networks",
          header: "Networks",
          cell: (s) =>
            mono(
              Object.entries(s.addresses)
                .map(([n, a]) => `${n}=${a.join(", ")}`)
                .join("; "),
            ),
          sort: (s) => Object.values(s.addresses).flat().join(),
        },
        {
          key: "network",
          header: "Network",
          cell: (s) => (s.network_id ? names.network.get(s.network_id) : "—"),
          sort: (s) => (s.network_id ? (names.network.get(s.network_id) ?? "") : null),
        },
        { key: "host", header: "Host", cell: (s) => mono(s.host), sort: (s) => s.host },
        projectColumn(names.project, names.projectsLoaded),
        {
          key: "status",
          header: "Status",
          cell: (s) => <StatusBadge status={s.status} />,
          sort: (s) => s.status,
        },
      ]}
      actions={(s) => (
        <>
          <Button variant="ghost" onClick={() => open({ type: "fip-create", portId: s.port_id })}>
            Floating IP
          </Button>
          <DeleteButton target={{ kind: "server", id: s.id, name: s.name, noun: "instance" }} />
        </>
      )}
    />
  );
}
