import type { Command } from "commander";
import { formatOption, run } from "../command";
import { integer } from "../options";
import { type Format, field, printList, type Row } from "../output";

type Options = {
  format: Format;
  user?: string;
  resource?: string;
  kind?: string;
  since?: string;
  until?: string;
  limit: number;
};

const who = (row: Row) =>
  row.via === "token" ? `${row.user} (token ${row.token_name || row.token_id})` : row.user;
const resource = (row: Row) =>
  row.resource_kind ? `${row.resource_kind} ${row.resource_name ?? row.resource_id ?? ""}`.trim() : "";
const outcome = (row: Row) => (row.outcome === "ok" ? "ok" : `${row.error_code}: ${row.error}`);

export function auditCommands(program: Command): void {
  program
    .command("audit")
    .description("The audit log: who changed what, when and from where (admins)")
    .command("list")
    .description("List changes, newest first (-f json: with the input and the resource before and after)")
    .addOption(formatOption())
    .option("--user <user>", "only this user's changes (name or ID)")
    .option("--resource <resource>", "only changes of this resource (name or ID)")
    .option("--kind <kind>", "only changes of this kind of resource (network, router, user, token, ...)")
    .option("--since <time>", "from this time: ISO 8601 (2025-05-01T10:00:00Z) or a span ago (30m, 2h, 7d)")
    .option("--until <time>", "up to this time (same forms)")
    .option("--limit <n>", "at most this many entries", integer, 100)
    .action(
      run(async (client, o: Options) => {
        const { format, ...filter } = o;
        printList(
          await client.audit.list.query(filter),
          [
            field("ID", "id"),
            field("Time", "at"),
            { header: "User", value: who },
            field("Procedure", "procedure"),
            { header: "Resource", value: resource },
            { header: "Outcome", value: outcome },
            field("Address", "address"),
          ],
          format,
        );
      }),
    );
}
