// `security group create/list/show/set/delete` and `security group rule create/list/show/delete`, as openstack.
import { type Command, InvalidArgumentError } from "commander";
import { addCrud, formatOption, run } from "../command";
import { integer, keyValues, repeat } from "../options";
import { type Format, field, printOne, type Row } from "../output";

/** `--dst-port 22` or `--dst-port 8000:8080`. */
export function portRange(text: string): { min: number; max: number } {
  const [min = "", max = min, ...rest] = text.split(":");
  if (rest.length > 0 || min === "") throw new InvalidArgumentError(`expected MIN[:MAX], got "${text}"`);
  return { min: integer(min), max: integer(max) };
}

/** openstack's "Port Range" column: "22:22", empty when the rule has none. */
const rangeOf = (row: Row) =>
  row.port_range_min === null && row.port_range_max === null
    ? ""
    : `${String(row.port_range_min ?? "")}:${String(row.port_range_max ?? "")}`;

/** openstack's "IP Range": a rule without a remote is open to every address. */
const ipRangeOf = (row: Row) => row.remote_ip_prefix ?? (row.remote_group_id === null ? "0.0.0.0/0" : "");

export function securityGroupCommands(program: Command): void {
  const group = addCrud(
    program.command("security").command("group").description("Security groups"),
    "security group",
    {
      list: (c, o) => c.securityGroup.list.query({ project_id: o.project as string | undefined }),
      show: (c, id) => c.securityGroup.show.query({ id }),
      remove: (c, id) => c.securityGroup.delete.mutate({ id }),
      columns: [
        field("ID", "id"),
        field("Name", "name"),
        field("Description", "description"),
        field("Project", "project_id"),
      ],
    },
  );

  group
    .command("create <name>")
    .description("Create a security group (with the default egress rule)")
    .addOption(formatOption())
    .option("--description <text>", "description")
    .option("--project <project>", "owning project")
    .option("--stateful", "stateful (the default)")
    .action(
      run(async (client, name: string, o) => {
        const created = await client.securityGroup.create.mutate({
          name,
          description: o.description,
          project_id: o.project,
        });
        printOne(created, o.format as Format);
      }),
    );

  group
    .command("set <group>")
    .description("Change a security group")
    .option("--name <name>", "new name")
    .option("--description <text>", "new description")
    .action(
      run(async (client, id: string, o) => {
        await client.securityGroup.update.mutate({ id, name: o.name, description: o.description });
      }),
    );

  const rule = addCrud(group.command("rule").description("Security group rules"), "security group rule", {
    list: (c, o) =>
      c.securityGroupRule.list.query({
        project_id: o.project as string | undefined,
        security_group_id: o.group as string | undefined,
        direction: o.ingress ? "ingress" : o.egress ? "egress" : undefined,
      }),
    show: (c, id) => c.securityGroupRule.show.query({ id }),
    remove: (c, id) => c.securityGroupRule.delete.mutate({ id }),
    columns: [
      field("ID", "id"),
      field("IP Protocol", "protocol"),
      field("Ethertype", "ethertype"),
      { header: "IP Range", value: ipRangeOf },
      { header: "Port Range", value: rangeOf },
      field("Direction", "direction"),
      field("Remote Security Group", "remote_group_id"),
      field("Security Group", "security_group_id"),
    ],
    listArgument: "group",
  });
  rule.commands
    .find((c) => c.name() === "list")
    ?.option("--ingress", "only ingress rules")
    .option("--egress", "only egress rules");

  rule
    .command("create <group>")
    .description("Add a rule to a security group")
    .addOption(formatOption())
    .option("--protocol <protocol>", "tcp, udp, icmp, any or a number 0-255 (default: any)")
    .option("--dst-port <min[:max]>", "destination port or range (tcp, udp)", portRange)
    .option("--icmp-type <type>", "ICMP type", integer)
    .option("--icmp-code <code>", "ICMP code", integer)
    .option("--remote-ip <cidr>", "remote IP prefix")
    .option("--remote-group <group>", "remote security group (name or ID)")
    .option("--ingress", "for incoming traffic (the default)")
    .option("--egress", "for outgoing traffic")
    .option("--ethertype <ethertype>", "IPv4 (the only one)", "IPv4")
    .option("--description <text>", "description")
    .action(
      run(async (client, id: string, o) => {
        if (o.ingress && o.egress) throw new Error("--ingress and --egress are exclusive");
        const created = await client.securityGroupRule.create.mutate({
          security_group_id: id,
          direction: o.egress ? "egress" : "ingress",
          ethertype: o.ethertype,
          protocol: o.protocol,
          port_range_min: o.dstPort?.min ?? o.icmpType,
          port_range_max: o.dstPort?.max ?? o.icmpCode,
          remote_ip_prefix: o.remoteIp,
          remote_group_id: o.remoteGroup,
          description: o.description,
        });
        printOne(created, o.format as Format);
      }),
    );
}

export const addressPair = keyValues(["ip-address", "mac-address"] as const);

/** The port options of openstack's security-group, port-security and allowed-address-pairs extensions. */
export function withPortSecurityOptions(command: Command, verb: "create" | "set"): Command {
  const adds = verb === "set" ? " (adds to the port's; with --no-… first, replaces them)" : "";
  command
    .option("--security-group <group>", `security group, repeatable${adds}`, repeat(String))
    .option("--no-security-group", "no security groups")
    .option("--enable-port-security", "enable port security (anti-spoofing, security groups)")
    .option("--disable-port-security", "disable port security")
    .option(
      "--allowed-address <ip-address=IP[,mac-address=MAC]>",
      `an address the port may also use, repeatable${adds}`,
      repeat(addressPair),
    );
  if (verb === "set") command.option("--no-allowed-address", "no allowed address pairs");
  // The negations only say "start from none": remember them beside the lists that follow.
  for (const negated of ["security-group", "allowed-address"]) {
    command.on(`option:no-${negated}`, () => command.setOptionValue(`cleared:${negated}`, true));
  }
  return command;
}

type Current = {
  security_groups: string[];
  allowed_address_pairs: { ip_address: string; mac_address: string }[];
};

/** The API's fields from those options; `current` (on set) is the port that lists given without --no-… extend. */
export function portSecurityInput(o: Record<string, unknown>, current?: Current) {
  const enabled = o.disablePortSecurity ? false : o.enablePortSecurity ? true : undefined;
  if (o.disablePortSecurity && o.enablePortSecurity)
    throw new Error("--enable-port-security and --disable-port-security are exclusive");
  const given = (key: string) =>
    Array.isArray(o[key]) ? (o[key] as unknown[]) : o[key] === false ? [] : undefined;
  const groups = given("securityGroup") as string[] | undefined;
  const pairs = (
    given("allowedAddress") as Partial<Record<"ip-address" | "mac-address", string>>[] | undefined
  )?.map((p) => ({ ip_address: p["ip-address"] ?? "", mac_address: p["mac-address"] }));
  const extend = <T>(list: T[] | undefined, existing: T[] | undefined, negated: string) =>
    list === undefined || existing === undefined || o[`cleared:${negated}`] ? list : [...existing, ...list];
  return {
    port_security_enabled: enabled,
    security_groups: extend(groups, current?.security_groups, "security-group"),
    allowed_address_pairs: extend(pairs, current?.allowed_address_pairs, "allowed-address"),
  };
}

/** `server add security group` / `server remove security group`. */
export function serverSecurityGroupCommands(verbed: Command, verb: "add" | "remove"): void {
  verbed
    .command("security")
    .command("group <server> <group>")
    .description(
      `${verb === "add" ? "Add" : "Remove"} a security group ${verb === "add" ? "to" : "from"} a server`,
    )
    .action(
      run(async (client, id: string, group: string) => {
        const input = { id, security_group: group };
        await (verb === "add" ? client.server.addSecurityGroup : client.server.removeSecurityGroup).mutate(
          input,
        );
      }),
    );
}

/** `port unset --security-group X --allowed-address ip-address=…`: takes those off the port. */
