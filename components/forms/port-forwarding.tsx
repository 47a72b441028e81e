"use client";
// Forward a port of a floating IP to an instance's port (Neutron's port forwarding), with the API's own schema.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { forwardedProtocols, portForwardingCreate } from "@/lib/schemas/portForwarding";
import { useTRPC } from "../trpc/provider";
import { Field, Select, TextInput } from "../ui/controls";
import { portChoices } from "./choices";
import type { FieldRules } from "./errors";
import { ChoiceOptions, FormShell, opt, str } from "./parts";
import { useResourceForm } from "./use-form";
import { useLists } from "./use-lists";

const rules: FieldRules = [
  [/duplicate port forwarding|external_port/i, "external_port"],
  [/internal_port\b/i, "internal_port"],
  [/internal IP address|fixed IP|internal_ip_address/i, "internal_ip_address"],
  [/reachable|port|floating IP/i, "internal_port_id"],
];

export function PortForwardingCreateForm({
  floatingIpId,
  close,
}: {
  floatingIpId: string;
  close: () => void;
}) {
  const trpc = useTRPC();
  const { lists } = useLists();
  const fip = useQuery(trpc.floatingIp.show.queryOptions({ id: floatingIpId }));
  const create = useMutation(trpc.portForwarding.create.mutationOptions());
  const {
    errors: e,
    submit,
    check,
    shell,
  } = useResourceForm(
    portForwardingCreate,
    rules,
    create,
    close,
    () => ({
      kind: "floatingIp",
      id: floatingIpId,
      label: fip.data?.floating_ip_address ?? floatingIpId,
      action: "Forward a port of",
    }),
    { internal_port_id: "Choose an instance" },
  );
  const choices = portChoices(lists, fip.data?.floating_network_id ?? "", floatingIpId);
  const [portId, setPortId] = useState("");
  const fixed = lists.ports.find((p) => p.id === portId)?.fixed_ips[0]?.ip_address ?? "";
  const input = (form: FormData) => ({
    floatingip_id: floatingIpId,
    internal_port_id: str(form, "internal_port_id"),
    // The port's own address unless another of its fixed IPs is named.
    internal_ip_address: opt(form, "internal_ip_address") ?? fixed,
    protocol: str(form, "protocol"),
    internal_port: str(form, "internal_port"),
    external_port: str(form, "external_port"),
    description: str(form, "description"),
  });
  return (
    <FormShell
      {...shell}
      submit="Add"
      onSubmit={(form) => submit(input(form))}
      onFieldBlur={(form, field) => check(input(form), field)}
    >
      <Field label="Instance port" name="internal_port_id" error={e.internal_port_id}>
        {(p) => (
          <Select {...p} key={choices.length} value={portId} onChange={(ev) => setPortId(ev.target.value)}>
            <option value="" disabled>
              Choose an instance
            </option>
            <ChoiceOptions choices={choices} />
          </Select>
        )}
      </Field>
      <Field
        label="Internal IP address"
        name="internal_ip_address"
        error={e.internal_ip_address}
        hint={fixed ? `Empty: ${fixed}` : "One of the port's fixed IPs"}
      >
        {(p) => <TextInput {...p} placeholder={fixed} />}
      </Field>
      <Field label="Protocol" name="protocol" error={e.protocol}>
        {(p) => (
          <Select {...p} defaultValue="tcp">
            {forwardedProtocols.map((protocol) => (
              <option key={protocol} value={protocol}>
                {protocol.toUpperCase()}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field
        label="External port"
        name="external_port"
        error={e.external_port}
        hint="On the floating IP, 1-65535"
      >
        {(p) => <TextInput {...p} inputMode="numeric" />}
      </Field>
      <Field
        label="Internal port"
        name="internal_port"
        error={e.internal_port}
        hint="On the instance, 1-65535"
      >
        {(p) => <TextInput {...p} inputMode="numeric" />}
      </Field>
      <Field label="Description" name="description" error={e.description}>
        {(p) => <TextInput {...p} />}
      </Field>
    </FormShell>
  );
}
