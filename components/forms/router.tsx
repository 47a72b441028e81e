"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { routerCreate, routerInterface, routerUpdate } from "@/lib/schemas/router";
import { watchNamed } from "../trpc/pending";
import { useTRPC } from "../trpc/provider";
import { Checkbox, Field, Select, TextInput } from "../ui/controls";
import { interfaceChoices } from "./choices";
import type { FieldRules } from "./errors";
import {
  ChoiceOptions,
  checked,
  FormLoading,
  FormShell,
  MonoTextArea,
  opt,
  ProjectSelect,
  str,
} from "./parts";
import { formatRoutes, parseRoutes, useResourceForm } from "./use-form";
import { useLists } from "./use-lists";

const gatewayRules: FieldRules = [
  [/external network|bridge mapping|physical network|gateway/i, "network_id"],
  [/name/i, "name"],
];

function ExternalNetworkSelect({
  name,
  defaultValue,
  error,
}: {
  name: string;
  defaultValue: string;
  error?: string | undefined;
}) {
  const trpc = useTRPC();
  const networks = useQuery(trpc.network.list.queryOptions(undefined));
  return (
    <Field label="External network (gateway)" name={name} error={error}>
      {(p) => (
        <Select {...p} key={networks.data?.length ?? 0} defaultValue={defaultValue}>
          <option value="">(no gateway)</option>
          {networks.data
            ?.filter((n) => n["router:external"])
            .map((n) => (
              <option key={n.id} value={n.id}>
                {n.name || n.id}
              </option>
            ))}
        </Select>
      )}
    </Field>
  );
}

/** The gateway the form asks for (network and SNAT), or null for none. */
function gatewayInfo(form: FormData) {
  const network = opt(form, "network_id");
  return network ? { network_id: network, enable_snat: checked(form, "enable_snat") } : null;
}

export function RouterCreateForm({ close }: { close: () => void }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.router.create.mutationOptions());
  const {
    errors: e,
    submit,
    shell,
  } = useResourceForm(routerCreate, gatewayRules, create, close, watchNamed("router", "Create router"));
  return (
    <FormShell
      {...shell}
      submit="Create router"
      onSubmit={(form) =>
        submit({
          name: str(form, "name"),
          project_id: opt(form, "project_id"),
          admin_state_up: checked(form, "admin_state_up"),
          external_gateway_info: gatewayInfo(form) ?? undefined,
        })
      }
    >
      <Field label="Name" name="name" error={e.name}>
        {(p) => <TextInput {...p} autoFocus />}
      </Field>
      <ProjectSelect error={e.project_id} />
      <ExternalNetworkSelect
        name="network_id"
        defaultValue=""
        error={e.network_id ?? e.external_gateway_info}
      />
      <div className="flex gap-4">
        <Checkbox name="enable_snat" label="SNAT" defaultChecked />
        <Checkbox name="admin_state_up" label="Admin state up" defaultChecked />
      </div>
    </FormShell>
  );
}

/** Set, change or clear the gateway, and SNAT on it (Neutron's router set/unset --external-gateway). */
export function RouterGatewayForm({ id, close }: { id: string; close: () => void }) {
  const trpc = useTRPC();
  const router = useQuery(trpc.router.show.queryOptions({ id }));
  const update = useMutation(trpc.router.update.mutationOptions());
  const { errors, submit, shell } = useResourceForm(routerUpdate, gatewayRules, update, close, (x) => ({
    kind: "router",
    id: x.id,
    label: x.name || x.id,
    action: x.external_gateway_info ? "Set gateway of" : "Clear gateway of",
  }));
  const r = router.data;
  if (!r) return <FormLoading />;
  const gw = r.external_gateway_info;
  return (
    <FormShell
      {...shell}
      submit="Save gateway"
      onSubmit={(form) => submit({ id, external_gateway_info: gatewayInfo(form) })}
    >
      <ExternalNetworkSelect
        name="network_id"
        defaultValue={gw?.network_id ?? ""}
        error={errors.network_id ?? errors.external_gateway_info}
      />
      <Checkbox
        name="enable_snat"
        label="SNAT (tenant traffic leaves with the gateway address)"
        defaultChecked={gw?.enable_snat ?? true}
      />
    </FormShell>
  );
}

export function RouterInterfaceForm({ id, close }: { id: string; close: () => void }) {
  const trpc = useTRPC();
  const { lists } = useLists();
  const networks = useQuery(trpc.network.list.queryOptions(undefined));
  const add = useMutation(trpc.router.addInterface.mutationOptions());
  const { errors, submit, shell } = useResourceForm(
    routerInterface,
    [[/./, "subnet_id"]],
    add,
    close,
    watchNamed("router", "Add interface to"),
  );
  const router = lists.routers.find((r) => r.id === id || r.name === id);
  const choices = router ? interfaceChoices(lists, networks.data ?? [], router.id) : [];
  return (
    <FormShell
      {...shell}
      error={undefined}
      submit="Add interface"
      onSubmit={(form) => submit({ id, subnet_id: str(form, "subnet_id") || undefined })}
    >
      <Field label="Subnet" name="subnet_id" error={errors.subnet_id ?? shell.error}>
        {(p) => (
          <Select {...p} defaultValue="" autoFocus>
            <option value="" disabled>
              Choose a subnet
            </option>
            <ChoiceOptions choices={choices} />
          </Select>
        )}
      </Field>
    </FormShell>
  );
}

export function RouterRoutesForm({ id, close }: { id: string; close: () => void }) {
  const trpc = useTRPC();
  const router = useQuery(trpc.router.show.queryOptions({ id }));
  const update = useMutation(trpc.router.update.mutationOptions());
  const { errors, submit, shell } = useResourceForm(
    routerUpdate,
    [[/route|nexthop/i, "routes"]],
    update,
    close,
    watchNamed("router", "Set routes of"),
  );
  const r = router.data;
  if (!r) return <FormLoading />;
  return (
    <FormShell
      {...shell}
      submit="Save routes"
      onSubmit={(form) => submit({ id, routes: parseRoutes(str(form, "routes")) })}
    >
      <Field
        label="Extra routes"
        name="routes"
        error={errors.routes}
        hint="One per line: 192.0.2.0/24 via 10.0.0.254"
      >
        {(p) => <MonoTextArea {...p} rows={4} defaultValue={formatRoutes(r.routes)} />}
      </Field>
    </FormShell>
  );
}
