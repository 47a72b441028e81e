"use client";
// Deletes ask first and say what hangs off the thing, the way an operator would check before
// `openstack ... delete`. What the server would refuse (ports still on a network, interfaces on a router)
// is named here up front.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { usePendingActions, watchNamed } from "../trpc/pending";
import { useTRPC } from "../trpc/provider";
import { useToast } from "../ui/toast";
import { apiErrors } from "./errors";
import { FormShell } from "./parts";

export type DeleteTarget =
  | {
      kind: "network" | "subnet" | "router" | "server" | "floatingIp";
      id: string;
      name: string;
      noun: string;
    }
  | { kind: "routerInterface"; id: string; subnetId: string; name: string; noun: string };

const owners: Record<string, string> = {
  "compute:nova": "instance",
  "network:router_interface": "router interface",
  "network:router_gateway": "router gateway",
  "network:floatingip": "floating IP",
  "network:dhcp": "DHCP port",
};

function useDependents(target: DeleteTarget): string[] {
  const trpc = useTRPC();
  const ports = useQuery(trpc.port.list.queryOptions(undefined)).data ?? [];
  const subnets = useQuery(trpc.subnet.list.queryOptions(undefined)).data ?? [];
  const fips = useQuery(trpc.floatingIp.list.queryOptions(undefined)).data ?? [];
  const routers = useQuery(trpc.router.list.queryOptions(undefined)).data ?? [];
  const servers = useQuery(trpc.server.list.queryOptions(undefined)).data ?? [];
  const serverName = new Map(servers.map((s) => [s.id, s.name]));
  const routerName = new Map(routers.map((r) => [r.id, r.name || r.id]));
  const describe = (p: (typeof ports)[number]) => {
    const owner = owners[p.device_owner] ?? "port";
    const who = serverName.get(p.device_id) ?? routerName.get(p.device_id) ?? p.name;
    return `${owner}${who ? ` ${who}` : ""} (${p.fixed_ips.map((f) => f.ip_address).join(", ") || p.id.slice(0, 8)})`;
  };
  switch (target.kind) {
    case "network":
      return [
        ...subnets.filter((s) => s.network_id === target.id).map((s) => `subnet ${s.name || s.id} ${s.cidr}`),
        ...ports.filter((p) => p.network_id === target.id).map(describe),
      ];
    case "subnet":
      return ports.filter((p) => p.fixed_ips.some((f) => f.subnet_id === target.id)).map(describe);
    case "router": {
      const r = routers.find((x) => x.id === target.id);
      return [
        ...(r?.interfaces ?? []).map((i) => `interface ${i.ip_address}`),
        ...(r?.external_gateway_info ? ["gateway on the external network"] : []),
        ...fips.filter((f) => f.router_id === target.id).map((f) => `floating IP ${f.floating_ip_address}`),
      ];
    }
    case "server": {
      const port = ports.find((p) => p.device_owner === "compute:nova" && p.device_id === target.id);
      return fips
        .filter((f) => port !== undefined && f.port_id === port.id)
        .map((f) => `floating IP ${f.floating_ip_address} (will be disassociated)`);
    }
    case "floatingIp": {
      const f = fips.find((x) => x.id === target.id);
      return f?.port_id ? [`associated with ${f.fixed_ip_address}`] : [];
    }
    case "routerInterface":
      return fips
        .filter((f) => f.router_id === target.id)
        .map((f) => `floating IP ${f.floating_ip_address} may lose its path`);
  }
}

export function DeleteForm({ target, close }: { target: DeleteTarget; close: () => void }) {
  const trpc = useTRPC();
  const toast = useToast();
  const { track } = usePendingActions();
  const dependents = useDependents(target);
  const [error, setError] = useState<string>();
  const options = {
    onSuccess: () => {
      toast("success", `Deleted ${target.noun} ${target.name}`);
      close();
    },
    onError: (e: unknown) => {
      const r = apiErrors(e);
      setError(r.form ?? Object.values(r.fields)[0]);
    },
  };
  const network = useMutation(trpc.network.delete.mutationOptions(options));
  const subnet = useMutation(trpc.subnet.delete.mutationOptions(options));
  const router = useMutation(trpc.router.delete.mutationOptions(options));
  const server = useMutation(trpc.server.delete.mutationOptions(options));
  const fip = useMutation(trpc.floatingIp.delete.mutationOptions(options));
  const removeInterface = useMutation(
    trpc.router.removeInterface.mutationOptions({
      onSuccess: (r) => {
        track(watchNamed("router", "Remove interface from")(r));
        close();
      },
      onError: options.onError,
    }),
  );
  const busy = [network, subnet, router, server, fip, removeInterface].some((m) => m.isPending);
  const verb = target.kind === "routerInterface" ? "Remove" : "Delete";
  return (
    <FormShell
      error={error}
      busy={busy}
      submit={verb}
      close={close}
      danger
      onSubmit={() => {
        setError(undefined);
        switch (target.kind) {
          case "network":
            return network.mutate({ id: target.id });
          case "subnet":
            return subnet.mutate({ id: target.id });
          case "router":
            return router.mutate({ id: target.id });
          case "server":
            return server.mutate({ id: target.id });
          case "floatingIp":
            return fip.mutate({ id: target.id });
          case "routerInterface":
            return removeInterface.mutate({ id: target.id, subnet_id: target.subnetId });
        }
      }}
    >
      <p className="text-sm">
        {verb} {target.noun} <b className="font-mono">{target.name}</b>?
      </p>
      {dependents.length > 0 ? (
        <div className="text-sm" data-testid="dependents">
          <p className="text-[var(--muted)]">Depends on it:</p>
          <ul className="ml-4 list-disc font-mono text-xs">
            {dependents.map((d) => (
              <li key={d}>{d}</li>
            ))}
          </ul>
        </div>
      ) : (
        <p className="text-sm text-[var(--muted)]">Nothing depends on it.</p>
      )}
    </FormShell>
  );
}
