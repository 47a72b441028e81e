"use client";
import { useMutation } from "@tanstack/react-query";
import { serverCreate } from "@/lib/schemas/server";
import { useTRPC } from "../trpc/provider";
import { Field, TextInput } from "../ui/controls";
import type { FieldRules } from "./errors";
import { FormShell, NetworkSelect, opt, str } from "./parts";
import { useResourceForm } from "./use-form";

const rules: FieldRules = [
  [/IP address|allocated|not a valid IP/i, "fixed_ip_address"],
  [/network|subnet|No more IP/i, "network_id"],
  [/name/i, "name"],
];

export function ServerCreateForm({
  networkId,
  close,
}: {
  networkId?: string | undefined;
  close: () => void;
}) {
  const trpc = useTRPC();
  const create = useMutation(trpc.server.create.mutationOptions());
  const {
    errors: e,
    submit,
    shell,
  } = useResourceForm(serverCreate, rules, create, close, (s) => ({
    kind: "server",
    id: s.id,
    label: s.name,
    action: "Launch",
  }));
  return (
    <FormShell
      {...shell}
      submit="Launch instance"
      onSubmit={(form) =>
        submit({
          name: str(form, "name"),
          network_id: str(form, "network_id"),
          fixed_ip_address: opt(form, "fixed_ip_address"),
        })
      }
    >
      <Field label="Name" name="name" error={e.name}>
        {(p) => <TextInput {...p} autoFocus />}
      </Field>
      <NetworkSelect defaultValue={networkId ?? ""} error={e.network_id} />
      <Field
        label="Fixed IP address"
        name="fixed_ip_address"
        error={e.fixed_ip_address}
        hint="Empty: the next free one"
      >
        {(p) => <TextInput {...p} />}
      </Field>
    </FormShell>
  );
}
