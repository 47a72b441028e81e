"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { networkCreate, networkTypes, networkUpdate } from "@/lib/schemas/network";
import { watchNamed } from "../trpc/pending";
import { useTRPC } from "../trpc/provider";
import { Checkbox, Field, Select, TextInput } from "../ui/controls";
import type { FieldRules } from "./errors";
import { checked, FormLoading, FormShell, opt, ProjectSelect, str } from "./parts";
import { useResourceForm } from "./use-form";

const rules: FieldRules = [
  [/physical.network|bridge mapping/i, "provider:physical_network"],
  [/segmentation/i, "provider:segmentation_id"],
  [/MTU/i, "mtu"],
  [/network type|provider network/i, "provider:network_type"],
  [/name/i, "name"],
];

const requiredName = { name: "A name is required" } as const;

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

export function NetworkCreateForm({ external, close }: { external: boolean; close: () => void }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.network.create.mutationOptions());
  const {
    errors: e,
    submit,
    shell,
  } = useResourceForm(
    networkCreate,
    rules,
    create,
    close,
    watchNamed("network", "Create network"),
    // Neutron lets a network be nameless; the dashboard asks for a name, or it shows as a bare UUID everywhere.
    requiredName,
  );
  return (
    <FormShell
      {...shell}
      submit="Create network"
      onSubmit={(form) =>
        submit({
          name: str(form, "name"),
          project_id: opt(form, "project_id"),
          shared: checked(form, "shared"),
          "router:external": checked(form, "router:external"),
          "provider:network_type": opt(form, "provider:network_type"),
          "provider:physical_network": opt(form, "provider:physical_network"),
          "provider:segmentation_id": num(opt(form, "provider:segmentation_id")),
          mtu: num(opt(form, "mtu")),
          admin_state_up: checked(form, "admin_state_up"),
        })
      }
    >
      <Field label="Name" name="name" error={e.name}>
        {(p) => <TextInput {...p} autoFocus />}
      </Field>
      <ProjectSelect error={e.project_id} hint="Default: your own project" />
      <div className="flex gap-4">
        <Checkbox name="router:external" label="External (router:external)" defaultChecked={external} />
        <Checkbox name="shared" label="Shared" />
        <Checkbox name="admin_state_up" label="Admin state up" defaultChecked />
      </div>
      <div className="grid grid-cols-2 gap-3">
        <Field label="Provider network type" name="provider:network_type" error={e["provider:network_type"]}>
          {(p) => (
            <Select {...p} defaultValue={external ? "flat" : ""}>
              <option value="">(default: vxlan)</option>
              {networkTypes.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field
          label="Physical network"
          name="provider:physical_network"
          error={e["provider:physical_network"]}
          hint="flat and vlan, e.g. public"
        >
          {(p) => <TextInput {...p} defaultValue={external ? "public" : ""} />}
        </Field>
        <Field label="Segmentation ID" name="provider:segmentation_id" error={e["provider:segmentation_id"]}>
          {(p) => <TextInput {...p} inputMode="numeric" />}
        </Field>
        <Field label="MTU" name="mtu" error={e.mtu} hint="Derived when empty">
          {(p) => <TextInput {...p} inputMode="numeric" />}
        </Field>
      </div>
    </FormShell>
  );
}

export function NetworkEditForm({ id, close }: { id: string; close: () => void }) {
  const trpc = useTRPC();
  const network = useQuery(trpc.network.show.queryOptions({ id }));
  const update = useMutation(trpc.network.update.mutationOptions());
  const { errors, submit, shell } = useResourceForm(
    networkUpdate,
    rules,
    update,
    close,
    watchNamed("network", "Update network"),
  );
  const n = network.data;
  if (!n) return <FormLoading />;
  return (
    <FormShell
      {...shell}
      submit="Save"
      onSubmit={(form) => {
        // Sent only when changed: an unchanged MTU is no request (it may exceed a maximum lowered since).
        const mtu = num(opt(form, "mtu"));
        submit({
          id,
          name: str(form, "name"),
          shared: checked(form, "shared"),
          "router:external": checked(form, "router:external"),
          mtu: mtu === n.mtu ? undefined : mtu,
          admin_state_up: checked(form, "admin_state_up"),
        });
      }}
    >
      <Field label="Name" name="name" error={errors.name}>
        {(p) => <TextInput {...p} defaultValue={n.name} autoFocus />}
      </Field>
      <Field label="MTU" name="mtu" error={errors.mtu} hint="68 to the physical network's">
        {(p) => <TextInput {...p} defaultValue={String(n.mtu)} inputMode="numeric" />}
      </Field>
      <div className="flex gap-4">
        <Checkbox name="router:external" label="External" defaultChecked={n["router:external"]} />
        <Checkbox name="shared" label="Shared" defaultChecked={n.shared} />
        <Checkbox name="admin_state_up" label="Admin state up" defaultChecked={n.admin_state_up} />
      </div>
    </FormShell>
  );
}
