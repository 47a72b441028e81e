"use client";
// Security groups and their rules: create and edit a group (name, description), and add a rule with the fields of
// `openstack security group rule create` (--protocol, --dst-port MIN[:MAX], --icmp-type/--icmp-code,
// --remote-ip or --remote-group, --ingress/--egress), checked with the API's own schemas.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import {
  directions,
  securityGroupCreate,
  securityGroupRuleCreate,
  securityGroupUpdate,
} from "@/lib/schemas/securityGroup";
import { useTRPC } from "../trpc/provider";
import { Field, Select, TextInput } from "../ui/controls";
import type { FieldRules } from "./errors";
import { FormLoading, FormShell, opt, ProjectSelect, str } from "./parts";
import { useResourceForm } from "./use-form";

const groupRules: FieldRules = [
  [/default/i, "name"],
  [/name/i, "name"],
];

/** A group's change has nothing on the host to wait for until a port uses it: no pending entry. */
const nothingToWatch = () => null;

export function SecurityGroupCreateForm({ close }: { close: () => void }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.securityGroup.create.mutationOptions());
  const { errors, submit, check, shell } = useResourceForm(
    securityGroupCreate,
    groupRules,
    create,
    close,
    nothingToWatch,
    { name: "A name is required" },
  );
  const input = (form: FormData) => ({
    name: str(form, "name"),
    description: str(form, "description"),
    project_id: opt(form, "project_id"),
  });
  return (
    <FormShell
      {...shell}
      submit="Create"
      onSubmit={(form) => submit(input(form))}
      onFieldBlur={(form, field) => check(input(form), field)}
    >
      <Field label="Name" name="name" error={errors.name}>
        {(p) => <TextInput {...p} autoFocus />}
      </Field>
      <Field label="Description" name="description" error={errors.description}>
        {(p) => <TextInput {...p} />}
      </Field>
      <ProjectSelect error={errors.project_id} />
    </FormShell>
  );
}

export function SecurityGroupEditForm({ id, close }: { id: string; close: () => void }) {
  const trpc = useTRPC();
  const group = useQuery(trpc.securityGroup.show.queryOptions({ id }));
  const update = useMutation(trpc.securityGroup.update.mutationOptions());
  const { errors, submit, shell } = useResourceForm(
    securityGroupUpdate,
    groupRules,
    update,
    close,
    nothingToWatch,
  );
  const g = group.data;
  if (!g) return <FormLoading />;
  return (
    <FormShell
      {...shell}
      submit="Save"
      onSubmit={(form) => submit({ id, name: str(form, "name"), description: str(form, "description") })}
    >
      <Field label="Name" name="name" error={errors.name}>
        {(p) => <TextInput {...p} defaultValue={g.name} autoFocus />}
      </Field>
      <Field label="Description" name="description" error={errors.description}>
        {(p) => <TextInput {...p} defaultValue={g.description} />}
      </Field>
    </FormShell>
  );
}

/** The API's refusals of a rule, by the field they are about (the range ones arrive on port_range_min). */
const ruleRules: FieldRules = [
  [/already exists/i, "protocol"],
  [/remote.?group|security group .* not found/i, "remote_group_id"],
  [/remote_ip_prefix|cidr/i, "remote_ip_prefix"],
  [/protocol/i, "protocol"],
];

const PORT_RANGE = /^(\d+)(?::(\d+))?$/;

/** `--dst-port 22` or `--dst-port 8000:8080` as the API's range; null when empty, NaN when unreadable. */
function dstPort(text: string): { min: number | null; max: number | null } {
  if (text === "") return { min: null, max: null };
  const m = PORT_RANGE.exec(text);
  if (!m) return { min: Number.NaN, max: Number.NaN };
  const min = Number(m[1]);
  return { min, max: m[2] === undefined ? min : Number(m[2]) };
}

const intOrNull = (text: string) => (text === "" ? null : /^-?\d+$/.test(text) ? Number(text) : Number.NaN);

/** The protocols offered by name; "number" asks for an IP protocol number (0-255). */
const protocolChoices = ["any", "tcp", "udp", "icmp", "number"] as const;

/** The form's fields that fill another of the API's: a blur on them checks that one. */
const CHECKS: Readonly<Record<string, readonly string[]>> = {
  dst_port: ["port_range_min", "port_range_max"],
  icmp_type: ["port_range_min", "port_range_max"],
  icmp_code: ["port_range_min", "port_range_max"],
  protocol_number: ["protocol"],
};

export function SecurityGroupRuleCreateForm({ groupId, close }: { groupId: string; close: () => void }) {
  const trpc = useTRPC();
  const groups = useQuery(trpc.securityGroup.list.queryOptions(undefined)).data ?? [];
  const create = useMutation(trpc.securityGroupRule.create.mutationOptions());
  const { errors, submit, check, shell } = useResourceForm(
    securityGroupRuleCreate,
    ruleRules,
    create,
    close,
    nothingToWatch,
    { protocol: "Give an IP protocol number, 0-255" },
  );
  const [choice, setChoice] = useState<(typeof protocolChoices)[number]>("any");
  const [dstText, setDstText] = useState("");
  const input = (form: FormData) => {
    const dst = dstPort(str(form, "dst_port"));
    const ported = str(form, "dst_port") !== "";
    return {
      security_group_id: groupId,
      direction: str(form, "direction"),
      ethertype: str(form, "ethertype"),
      protocol: choice === "number" ? str(form, "protocol_number") : choice,
      // As the CLI: --dst-port fills the range, else --icmp-type and --icmp-code do.
      port_range_min: ported ? dst.min : intOrNull(str(form, "icmp_type")),
      port_range_max: ported ? dst.max : intOrNull(str(form, "icmp_code")),
      remote_ip_prefix: opt(form, "remote_ip_prefix") ?? null,
      remote_group_id: opt(form, "remote_group_id") ?? null,
      description: str(form, "description"),
    };
  };
  // A range refusal shows under the field that gave the range: --dst-port, else --icmp-type/--icmp-code.
  const dstError =
    dstText === ""
      ? undefined
      : PORT_RANGE.test(dstText)
        ? (errors.port_range_min ?? errors.port_range_max)
        : `expected MIN[:MAX], got "${dstText}"`;
  const protocolError = errors.protocol;
  return (
    <FormShell
      {...shell}
      submit="Add"
      onSubmit={(form) => submit(input(form))}
      onFieldBlur={(form, field) => {
        for (const f of CHECKS[field] ?? [field]) check(input(form), f);
      }}
    >
      <div className="grid grid-cols-2 gap-3">
        <Field label="Direction" name="direction" error={errors.direction}>
          {(p) => (
            <Select {...p} defaultValue="ingress">
              {directions.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Ether type" name="ethertype" error={errors.ethertype}>
          {(p) => (
            <Select {...p} defaultValue="IPv4">
              <option value="IPv4">IPv4</option>
            </Select>
          )}
        </Field>
      </div>
      <Field label="Protocol" name="protocol" error={choice === "number" ? undefined : protocolError}>
        {(p) => (
          <Select
            {...p}
            value={choice}
            onChange={(ev) => setChoice(ev.target.value as (typeof protocolChoices)[number])}
          >
            {protocolChoices.map((c) => (
              <option key={c} value={c}>
                {c === "number" ? "other (IP protocol number)" : c}
              </option>
            ))}
          </Select>
        )}
      </Field>
      {choice === "number" ? (
        <Field label="IP protocol number" name="protocol_number" error={protocolError} hint="0-255">
          {(p) => <TextInput {...p} inputMode="numeric" />}
        </Field>
      ) : null}
      <Field
        label="Destination port range"
        name="dst_port"
        error={dstError}
        hint="MIN[:MAX], for tcp and udp"
      >
        {(p) => <TextInput {...p} value={dstText} onChange={(ev) => setDstText(ev.target.value.trim())} />}
      </Field>
      <div className="grid grid-cols-2 gap-3">
        <Field
          label="ICMP type"
          name="icmp_type"
          error={dstText === "" ? errors.port_range_min : undefined}
          hint="0-255, for icmp"
        >
          {(p) => <TextInput {...p} inputMode="numeric" />}
        </Field>
        <Field
          label="ICMP code"
          name="icmp_code"
          error={dstText === "" ? errors.port_range_max : undefined}
          hint="0-255, with a type"
        >
          {(p) => <TextInput {...p} inputMode="numeric" />}
        </Field>
      </div>
      <Field
        label="Remote IP prefix"
        name="remote_ip_prefix"
        error={errors.remote_ip_prefix}
        hint="A CIDR; empty: any address (0.0.0.0/0)"
      >
        {(p) => <TextInput {...p} placeholder="0.0.0.0/0" />}
      </Field>
      <Field
        label="Remote security group"
        name="remote_group_id"
        error={errors.remote_group_id}
        hint="Or: traffic from the ports of this group"
      >
        {(p) => (
          <Select {...p} defaultValue="">
            <option value="">(none)</option>
            {groups.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name || g.id}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field label="Description" name="description" error={errors.description}>
        {(p) => <TextInput {...p} />}
      </Field>
    </FormShell>
  );
}
