"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { floatingIpCreate, floatingIpUpdate } from "@/lib/schemas/floatingIp";
import { useTRPC } from "../trpc/provider";
import { Field, Select, TextInput } from "../ui/controls";
import { portChoices } from "./choices";
import type { FieldRules } from "./errors";
import { ChoiceOptions, FormShell, opt, str } from "./parts";
import { useResourceForm } from "./use-form";
import { useLists } from "./use-lists";

const rules: FieldRules = [
  [/reachable|port|fixed IP|already has a floating/i, "port_id"],
  [/IP address|address/i, "floating_ip_address"],
  [/network|No more IP/i, "floating_network_id"],
];

function PortSelect({
  error,
  defaultValue,
  optional,
  externalNetworkId,
  floatingIpId,
}: {
  error?: string | undefined;
  defaultValue: string;
  optional: boolean;
  /** The floating IP's network: what a port must be routed to. */
  externalNetworkId: string;
  /** The floating IP being associated (its own association does not count against its port). */
  floatingIpId?: string;
}) {
  const { lists } = useLists();
  const choices = portChoices(lists, externalNetworkId, floatingIpId);
  return (
    <Field label="Instance port" name="port_id" error={error}>
      {(p) => (
        // Keyed by the options so that the default is chosen again once they have loaded.
        <Select {...p} key={choices.length} defaultValue={defaultValue}>
          <option value="" disabled={!optional}>
            {optional ? "(not associated)" : "Choose an instance"}
          </option>
          <ChoiceOptions choices={choices} />
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
  const [chosenNetwork, setNetwork] = useState<string>();
  const externalNetworkId = chosenNetwork ?? networkId ?? externals[0]?.id ?? "";
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
          <Select {...p} value={externalNetworkId} onChange={(e) => setNetwork(e.target.value)}>
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
      <PortSelect
        error={e.port_id}
        defaultValue={portId ?? ""}
        optional
        externalNetworkId={externalNetworkId}
      />
    </FormShell>
  );
}

export function FloatingIpAssociateForm({ id, close }: { id: string; close: () => void }) {
  const trpc = useTRPC();
  const update = useMutation(trpc.floatingIp.update.mutationOptions());
  const fip = useQuery(trpc.floatingIp.show.queryOptions({ id }));
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
      <PortSelect
        error={errors.port_id}
        defaultValue=""
        optional={false}
        externalNetworkId={fip.data?.floating_network_id ?? ""}
        floatingIpId={fip.data?.id ?? id}
      />
    </FormShell>
  );
}
