import type { Command } from "commander";
import { formatOption, run } from "../command";
import { type Format, field, printList, printOne } from "../output";

export function projectCommands(program: Command): void {
  const project = program.command("project").description("Projects (tenants)");
  project
    .command("list")
    .addOption(formatOption())
    .action(
      run(async (client, o: { format: Format }) => {
        printList(await client.project.list.query(), [field("ID", "id"), field("Name", "name")], o.format);
      }),
    );
  project
    .command("create <name>")
    .addOption(formatOption())
    .option("--description <text>", "description", "")
    .action(
      run(async (client, name: string, o: { format: Format; description: string }) => {
        printOne(await client.project.create.mutate({ name, description: o.description }), o.format);
      }),
    );
  project.command("delete <ids...>").action(
    run(async (client, ids: string[]) => {
      for (const id of ids) await client.project.delete.mutate({ id });
    }),
  );
}
