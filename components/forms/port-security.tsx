"use client";
// An instance port's security: add a security group to the instance (`openstack server add security group`) and
// an allowed address pair to its port (`openstack port set --allowed-address`), with the API's own schemas.
import { useMutation, useQuery } from "@tanstack/react-query";
import { portUpdate } from "@/lib/schemas/port";
import { serverSecurityGroup } from "@/lib/schemas/securityGroup";
import { watchNamed } from "../trpc/pending";
import { useTRPC } from "../trpc/provider";
import { Field, Select, TextInput } from "../ui/controls";
import type { FieldRules } from "./errors";
import { FormLoading, FormShell, opt, str } from "./parts";
import { useResourceForm } from "./use-form";

const groupRules: FieldRules = [[/security group|port security/i, "security_group"]];

export function ServerSecurityGroupAddForm({ serverId, close }: { serverId: string; close: () => void }) {
  const trpc = useTRPC();
  const server = useQuery(trpc.server.show.queryOptions({ id: serverId }));
  const port = useQuery({
    ...trpc.port.show.queryOptions({ id: server.data?.port_id ?? "" }),
    enabled: server.data !== undefined,
  });
  const groups = useQuery(trpc.securityGroup.list.queryOptions(undefined)).data ?? [];
  const add = useMutation(trpc.server.addSecurityGroup.mutationOptions());
  const { errors, submit, shell } = useResourceForm(
    serverSecurityGroup,
    groupRules,
    add,
    close,
    watchNamed("server", "Add security group to"),
    { security_group: "Choose a security group" },
  );
  const s = server.data;
  if (!s || !port.data) return <FormLoading />;
  const has = new Set(port.data.security_groups);
  // Only the groups of the instance's project can go on its port.
  const offered = groups.filter((g) => g.project_id === s.project_id && !has.has(g.id));
  return (
    <FormShell
      {...shell}
      submit="Add"
      onSubmit={(form) => submit({ id: serverId, security_group: str(form, "security_group") })}
    >
      <Field label="Security group" name="security_group" error={errors.security_group}>
        {(p) => (
          <Select {...p} defaultValue="">
            <option value="" disabled>
              Choose a security group
            </option>
            {offered.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name || g.id}
              </option>
            ))}
          </Select>
        )}
      </Field>
    </FormShell>
  );
}

const pairRules: FieldRules = [
  [/mac/i, "mac_address"],
  [/./, "ip_address"],
];

export function AddressPairForm({ portId, close }: { portId: string; close: () => void }) {
  const trpc = useTRPC();
  const port = useQuery(trpc.port.show.queryOptions({ id: portId }));
  const update = useMutation(trpc.port.update.mutationOptions());
  const { errors, submit, shell } = useResourceForm(
    portUpdate,
    pairRules,
    update,
    close,
    watchNamed("port", "Add an allowed address pair to"),
    { ip_address: "An IP address or CIDR is required" },
  );
  const p = port.data;
  if (!p) return <FormLoading />;
  return (
    <FormShell
      {...shell}
      submit="Add"
      onSubmit={(form) => {
        const ip_address = str(form, "ip_address");
        const mac_address = opt(form, "mac_address")?.toLowerCase();
        submit({
          id: portId,
          ip_address,
          // A port set replaces the list: the pairs it has, then the new one.
          allowed_address_pairs: [
            ...p.allowed_address_pairs,
            { ip_address, ...(mac_address ? { mac_address } : {}) },
          ],
        });
      }}
    >
      <Field
        label="IP address or CIDR"
        name="ip_address"
        error={errors.ip_address ?? errors.allowed_address_pairs}
        hint="An address this port may also send from (a VIP)"
      >
        {(props) => <TextInput {...props} autoFocus />}
      </Field>
      <Field
        label="MAC address"
        name="mac_address"
        error={errors.mac_address}
        hint={`Empty: ${p.mac_address}`}
      >
        {(props) => <TextInput {...props} placeholder={p.mac_address} />}
      </Field>
    </FormShell>
  );
}
