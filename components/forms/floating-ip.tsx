"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { floatingIpCreate, floatingIpUpdate } from "@/lib/schemas/floatingIp";
import { useTRPC } from "../trpc/provider";
import { Field, Select, TextInput } from "../ui/controls";
import type { FieldRules } from "./errors";
import { FormShell, opt, str } from "./parts";
import { useResourceForm } from "./use-form";

const rules: FieldRules = [
  [/reachable|port|fixed IP|already has a floating/i, "port_id"],
  [/IP address|address/i, "floating_ip_address"],
  [/network|No more IP/i, "floating_network_id"],
];

/** Instance ports ("compute:nova"), named after their instance: what a floating IP maps to. */
function usePortOptions() {
  const trpc = useTRPC();
  const ports = useQuery(trpc.port.list.queryOptions(undefined));
  const servers = useQuery(trpc.server.list.queryOptions(undefined));
  const serverName = new Map(servers.data?.map((s) => [s.id, s.name]));
  return (ports.data ?? [])
    .filter((p) => p.device_owner === "compute:nova")
    .map((p) => ({
      id: p.id,
      label: `${serverName.get(p.device_id) ?? p.name ?? p.id} — ${p.fixed_ips.map((f) => f.ip_address).join(", ")}`,
    }));
}

function PortSelect({
  error,
  defaultValue,
  optional,
}: {
  error?: string | undefined;
  defaultValue: string;
  optional: boolean;
}) {
  const options = usePortOptions();
  return (
    <Field label="Instance port" name="port_id" error={error}>
      {(p) => (
        // Keyed by the options so that the default is chosen again once they have loaded.
        <Select {...p} key={options.length} defaultValue={defaultValue}>
          <option value="" disabled={!optional}>
            {optional ? "(not associated)" : "Choose an instance"}
          </option>
          {options.map((o) => (
            <option key={o.id} value={o.id}>
              {o.label}
            </option>
          ))}
        </Select>
      )}
    </Field>
  );
}

export function FloatingIpCreateForm({
  portId,
  networkId,
  close,
}: {
  portId?: string | undefined;
  networkId?: string | undefined;
  close: () => void;
}) {
  const trpc = useTRPC();
  const networks = useQuery(trpc.network.list.queryOptions(undefined));
  const create = useMutation(trpc.floatingIp.create.mutationOptions());
  const {
    errors: e,
    submit,
    shell,
  } = useResourceForm(floatingIpCreate, rules, create, close, (f) => ({
    kind: "floatingIp",
    id: f.id,
    label: f.floating_ip_address,
    action: f.port_id ? "Allocate and associate" : "Allocate",
  }));
  const externals = networks.data?.filter((n) => n["router:external"]) ?? [];
  return (
    <FormShell
      {...shell}
      submit="Allocate"
      onSubmit={(form) =>
        submit({
          floating_network_id: str(form, "floating_network_id"),
          floating_ip_address: opt(form, "floating_ip_address"),
          port_id: opt(form, "port_id"),
        })
      }
    >
      <Field label="External network" name="floating_network_id" error={e.floating_network_id}>
        {(p) => (
          <Select {...p} key={externals.length} defaultValue={networkId ?? externals[0]?.id ?? ""}>
            {externals.map((n) => (
              <option key={n.id} value={n.id}>
                {n.name || n.id}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field
        label="Address"
        name="floating_ip_address"
        error={e.floating_ip_address}
        hint="Empty: the next free one from the pool"
      >
        {(p) => <TextInput {...p} />}
      </Field>
      <PortSelect error={e.port_id} defaultValue={portId ?? ""} optional />
    </FormShell>
  );
}

export function FloatingIpAssociateForm({ id, close }: { id: string; close: () => void }) {
  const trpc = useTRPC();
  const update = useMutation(trpc.floatingIp.update.mutationOptions());
  const { errors, submit, shell } = useResourceForm(floatingIpUpdate, rules, update, close, (f) => ({
    kind: "floatingIp",
    id: f.id,
    label: f.floating_ip_address,
    action: "Associate",
  }));
  return (
    <FormShell
      {...shell}
      submit="Associate"
      onSubmit={(form) => submit({ id, port_id: str(form, "port_id") })}
    >
      <PortSelect error={errors.port_id} defaultValue="" optional={false} />
    </FormShell>
  );
}
