"use client";
// The Security groups page: each group of the projects the viewer sees, with its rules as a table in
// Neutron's words (direction, protocol, port range, remote); admins create, edit and delete groups and rules.
import { useQuery } from "@tanstack/react-query";
import { AdminOnly } from "../auth/viewer";
import { useDialogs } from "../forms/dialog-context";
import { useTRPC } from "../trpc/provider";
import type { RouterOutputs } from "../trpc/types";
import { Button } from "../ui/controls";
import { DeleteButton } from "./actions";
import { mono } from "./columns";
import { DataTable, PageHeader } from "./table";

/** "22", "8000-8080", "type 8 code 0" (icmp), or "any". */
type Rule = RouterOutputs["securityGroupRule"]["show"];

export function portRangeText(rule: Pick<Rule, "protocol" | "port_range_min" | "port_range_max">) {
  const { port_range_min: min, port_range_max: max } = rule;
  if (min === null && max === null) return "any";
  if (rule.protocol === "icmp" || rule.protocol === "1")
    return `type ${min ?? "any"}${max === null ? "" : ` code ${max}`}`;
  return min === max ? String(min) : `${min ?? ""}-${max ?? ""}`;
}

/** A rule in one line, for its delete dialog: "ingress icmp type 8 from 0.0.0.0/0". */
function ruleText(rule: Rule) {
  const ports = portRangeText(rule);
  const remote = rule.remote_group_id !== null ? "its group" : (rule.remote_ip_prefix ?? "0.0.0.0/0");
  return `${rule.direction} ${rule.protocol ?? "any"}${ports === "any" ? "" : ` ${ports}`} ${
    rule.direction === "ingress" ? "from" : "to"
  } ${remote}`;
}

export function SecurityGroupsPage() {
  const trpc = useTRPC();
  const { open } = useDialogs();
  const groups = useQuery(trpc.securityGroup.list.queryOptions(undefined)).data ?? [];
  const projects = new Map(
    (useQuery(trpc.project.list.queryOptions()).data ?? []).map((p) => [p.id, p.name]),
  );
  const names = new Map(groups.map((g) => [g.id, g.name || g.id.slice(0, 8)]));
  return (
    <div className="flex flex-col gap-6 p-4">
      <PageHeader title="Security groups">
        <Button variant="primary" onClick={() => open({ type: "sg-create" })}>
          Create security group
        </Button>
      </PageHeader>
      {groups.length === 0 ? (
        <p className="text-sm">None yet: a project's default group is made with its first port.</p>
      ) : null}
      {groups.map((group) => (
        <section key={group.id} aria-label={`Security group ${group.name}`} data-id={group.id}>
          <div className="mb-1 flex flex-wrap items-center gap-2">
            <h2 className="font-semibold">
              {group.name || group.id.slice(0, 8)}{" "}
              <span className="text-xs font-normal">
                {projects.get(group.project_id) ?? group.project_id}
                {group.description ? ` · ${group.description}` : ""}
              </span>
            </h2>
            <AdminOnly>
              <div className="ml-auto flex gap-1.5">
                <Button onClick={() => open({ type: "sg-rule-create", groupId: group.id })}>Add rule</Button>
                <Button variant="ghost" onClick={() => open({ type: "sg-edit", id: group.id })}>
                  Edit
                </Button>
                <DeleteButton
                  target={{
                    kind: "securityGroup",
                    id: group.id,
                    name: names.get(group.id) ?? group.id,
                    noun: "security group",
                  }}
                />
              </div>
            </AdminOnly>
          </div>
          <DataTable
            label={`Rules of ${group.name || group.id}`}
            rows={group.security_group_rules}
            empty="No rules: nothing is allowed in or out."
            columns={[
              { key: "direction", header: "Direction", cell: (r) => r.direction, sort: (r) => r.direction },
              { key: "ethertype", header: "Ether Type", cell: (r) => r.ethertype },
              {
                key: "protocol",
                header: "IP Protocol",
                cell: (r) => r.protocol ?? "any",
                sort: (r) => r.protocol,
              },
              { key: "ports", header: "Port Range", cell: (r) => mono(portRangeText(r)) },
              {
                key: "remote",
                header: "Remote",
                cell: (r) =>
                  r.remote_group_id !== null
                    ? `group ${names.get(r.remote_group_id) ?? r.remote_group_id}`
                    : mono(r.remote_ip_prefix ?? "0.0.0.0/0"),
              },
              { key: "description", header: "Description", cell: (r) => r.description },
            ]}
            actions={(r) => (
              <DeleteButton
                target={{ kind: "securityGroupRule", id: r.id, name: ruleText(r), noun: "rule" }}
              />
            )}
          />
        </section>
      ))}
    </div>
  );
}
