"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { fromInt, hostBounds, isIpv4, parseCidr, toInt } from "@/lib/ip";
import { subnetCreate, subnetUpdate } from "@/lib/schemas/subnet";
import { useTRPC } from "../trpc/provider";
import { Checkbox, Field, TextInput } from "../ui/controls";
import type { FieldRules } from "./errors";
import { checked, FormLoading, FormShell, MonoTextArea, NetworkSelect, str } from "./parts";
import {
  formatPools,
  formatRoutes,
  list,
  parsePools,
  parseRoutes,
  type Required,
  useResourceForm,
} from "./use-form";

// Neutron's messages name what is wrong; the first match says which field to put the message under.
const rules: FieldRules = [
  [/allocation pool/i, "allocation_pools"],
  [/gateway/i, "gateway_ip"],
  [/CIDR|overlap/i, "cidr"],
  [/host route/i, "host_routes"],
  [/nameserver|dns/i, "dns_nameservers"],
  [/network/i, "network_id"],
];

type GatewayMode = "auto" | "none" | "given";

/** The gateway as the schema wants it: omitted = first host ("auto"), null = no gateway, else the address. */
function gatewayValue(mode: GatewayMode, text: string): string | null | undefined {
  if (mode === "none") return null;
  if (mode === "auto") return undefined;
  return text;
}

/** The first host of a CIDR as typed so far ("10.77.0.1" for 10.77.0.0/24), or undefined while it is no CIDR. */
function firstHost(cidr: string): string | undefined {
  try {
    const { prefixlen } = parseCidr(cidr.trim());
    return prefixlen >= 31 ? undefined : fromInt(hostBounds(cidr.trim()).first);
  } catch {
    return undefined;
  }
}

function GatewayField({
  error,
  initial,
  cidr,
}: {
  error?: string | undefined;
  initial?: string | null;
  /** The subnet's CIDR: the placeholder and the "first host" are worked out from it. */
  cidr: string;
}) {
  const [mode, setMode] = useState<GatewayMode>(
    initial === undefined ? "auto" : initial === null ? "none" : "given",
  );
  const first = firstHost(cidr);
  return (
    <Field
      label="Gateway IP"
      name="gateway_ip"
      error={error}
      {...(mode === "auto" && first ? { hint: `The first host: ${first}` } : {})}
    >
      {(p) => (
        <div className="flex gap-2">
          <select
            name="gateway_mode"
            aria-label="Gateway mode"
            value={mode}
            onChange={(ev) => setMode(ev.target.value as GatewayMode)}
            className="rounded-md border border-[var(--border)] bg-[var(--bg)] px-2 text-sm"
          >
            {initial === undefined ? <option value="auto">first host</option> : null}
            <option value="given">address</option>
            <option value="none">none</option>
          </select>
          <TextInput
            {...p}
            defaultValue={initial ?? ""}
            disabled={mode !== "given"}
            placeholder={first ?? "an address in the CIDR"}
          />
        </div>
      )}
    </Field>
  );
}

/**
 * When the gateway falls inside a pool: the same pools with the gateway cut out ("10.0.0.1-10.0.0.254" with
 * gateway 10.0.0.1 -> "10.0.0.2-10.0.0.254"), one per line as the field takes them; undefined if none holds it.
 */
function poolsWithout(pools: readonly { start: string; end: string }[], gateway: string): string | undefined {
  if (!isIpv4(gateway) || !pools.every((p) => isIpv4(p.start) && isIpv4(p.end))) return undefined;
  const g = toInt(gateway);
  if (!pools.some((p) => toInt(p.start) <= g && g <= toInt(p.end))) return undefined;
  return pools
    .flatMap((p) => {
      const [a, b] = [toInt(p.start), toInt(p.end)];
      if (g < a || g > b) return [[a, b]];
      return [
        [a, g - 1],
        [g + 1, b],
      ].filter(([x = 0, y = 0]) => x <= y);
    })
    .map(([x = 0, y = 0]) => `${fromInt(x)}-${fromInt(y)}`)
    .join("\n");
}

/** Empty fields the API would take (or refuse vaguely), asked for in the form's words. */
const required: Required = { network_id: "Choose a network", cidr: "A CIDR is required" };

/** The API's "gateway conflicts with allocation pool" with the pools that would not: the way out, typed out. */
function withPoolSuggestion(
  error: string | undefined,
  sent: ReturnType<typeof subnetInput> | undefined,
): string | undefined {
  if (!error || !sent?.allocation_pools || !/conflicts with allocation pool/.test(error)) return error;
  const gateway = sent.gateway_ip === undefined ? firstHost(sent.cidr) : sent.gateway_ip;
  const pools = gateway ? poolsWithout(sent.allocation_pools, gateway) : undefined;
  return pools ? `${error}. Pools that leave the gateway out: ${pools.replaceAll("\n", ", ")}` : error;
}

function subnetInput(form: FormData) {
  return {
    name: str(form, "name"),
    network_id: str(form, "network_id"),
    cidr: str(form, "cidr"),
    gateway_ip: gatewayValue(str(form, "gateway_mode") as GatewayMode, str(form, "gateway_ip")),
    allocation_pools: str(form, "allocation_pools") ? parsePools(str(form, "allocation_pools")) : undefined,
    enable_dhcp: checked(form, "enable_dhcp"),
    dns_nameservers: list(str(form, "dns_nameservers")),
    host_routes: parseRoutes(str(form, "host_routes")),
  };
}

export function SubnetCreateForm({
  networkId,
  close,
}: {
  networkId?: string | undefined;
  close: () => void;
}) {
  const trpc = useTRPC();
  const create = useMutation(trpc.subnet.create.mutationOptions());
  const [cidr, setCidr] = useState("");
  const [sent, setSent] = useState<ReturnType<typeof subnetInput>>();
  // A subnet has no status of its own; its network goes PENDING until the agent has it.
  const {
    errors: e,
    submit,
    check,
    shell,
  } = useResourceForm(
    subnetCreate,
    rules,
    create,
    close,
    (s) => ({ kind: "network", id: s.network_id, label: s.cidr, action: "Add subnet" }),
    required,
  );
  return (
    <FormShell
      {...shell}
      submit="Create subnet"
      onSubmit={(form) => {
        const input = subnetInput(form);
        setSent(input);
        submit(input);
      }}
      onFieldBlur={(form, field) => check(subnetInput(form), field)}
    >
      <NetworkSelect defaultValue={networkId ?? ""} error={e.network_id} />
      <div className="grid grid-cols-2 gap-3">
        <Field label="Name" name="name" error={e.name}>
          {(p) => <TextInput {...p} autoFocus />}
        </Field>
        <Field label="CIDR" name="cidr" error={e.cidr}>
          {(p) => <TextInput {...p} placeholder="10.0.1.0/24" onChange={(ev) => setCidr(ev.target.value)} />}
        </Field>
      </div>
      <GatewayField error={e.gateway_ip} cidr={cidr} />
      <Field
        label="Allocation pools"
        name="allocation_pools"
        error={withPoolSuggestion(e.allocation_pools, sent)}
        hint="One per line: start-end. Empty: the whole subnet but the gateway"
      >
        {(p) => <MonoTextArea {...p} rows={2} />}
      </Field>
      <div className="grid grid-cols-2 gap-3">
        <Field label="DNS name servers" name="dns_nameservers" error={e.dns_nameservers}>
          {(p) => <TextInput {...p} placeholder="192.0.2.53, …" />}
        </Field>
        <Field label="Host routes" name="host_routes" error={e.host_routes} hint="dest via nexthop">
          {(p) => <TextInput {...p} />}
        </Field>
      </div>
      <Checkbox name="enable_dhcp" label="Enable DHCP" defaultChecked />
    </FormShell>
  );
}

export function SubnetEditForm({ id, close }: { id: string; close: () => void }) {
  const trpc = useTRPC();
  const subnet = useQuery(trpc.subnet.show.queryOptions({ id }));
  const update = useMutation(trpc.subnet.update.mutationOptions());
  const {
    errors: e,
    submit,
    shell,
  } = useResourceForm(subnetUpdate, rules, update, close, (x) => ({
    kind: "network",
    id: x.network_id,
    label: x.cidr,
    action: "Update subnet",
  }));
  const s = subnet.data;
  if (!s) return <FormLoading />;
  return (
    <FormShell
      {...shell}
      submit="Save"
      onSubmit={(form) =>
        submit({
          id,
          name: str(form, "name"),
          gateway_ip: gatewayValue(str(form, "gateway_mode") as GatewayMode, str(form, "gateway_ip")),
          allocation_pools: parsePools(str(form, "allocation_pools")),
          enable_dhcp: checked(form, "enable_dhcp"),
          dns_nameservers: list(str(form, "dns_nameservers")),
          host_routes: parseRoutes(str(form, "host_routes")),
        })
      }
    >
      <p className="font-mono text-sm">{s.cidr}</p>
      <Field label="Name" name="name" error={e.name}>
        {(p) => <TextInput {...p} defaultValue={s.name} />}
      </Field>
      <GatewayField error={e.gateway_ip} initial={s.gateway_ip} cidr={s.cidr} />
      <Field
        label="Allocation pools"
        name="allocation_pools"
        error={e.allocation_pools}
        hint="One per line: start-end"
      >
        {(p) => <MonoTextArea {...p} rows={2} defaultValue={formatPools(s.allocation_pools)} />}
      </Field>
      <Field label="DNS name servers" name="dns_nameservers" error={e.dns_nameservers}>
        {(p) => <TextInput {...p} defaultValue={s.dns_nameservers.join(", ")} />}
      </Field>
      <Field
        label="Host routes"
        name="host_routes"
        error={e.host_routes}
        hint="One per line: dest via nexthop"
      >
        {(p) => <MonoTextArea {...p} rows={2} defaultValue={formatRoutes(s.host_routes)} />}
      </Field>
      <Checkbox name="enable_dhcp" label="Enable DHCP" defaultChecked={s.enable_dhcp} />
    </FormShell>
  );
}
