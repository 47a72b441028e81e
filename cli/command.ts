// Shared shape of the CLI's commands: `-f` on every list/show, errors printed with exit status 1, and the
// list/show/delete trio that every resource has.
import { Command, Option } from "commander";
import { type Client, createClient, describeError } from "./client";
import { repeat } from "./options";
import {
  type Column,
  type Format,
  printList,
  printOne,
  type Row,
  selectColumns,
  terminalText,
} from "./output";

export const formatOption = () =>
  new Option("-f, --format <format>", "output format").choices(["table", "json", "value"]).default("table");

/**
 * Runs an action with a client; prints the API's error and exits non-zero on failure. With the global
 * `--wait`, returns only once the host agents applied the change (or says they did not).
 */
export function run<A extends unknown[]>(action: (client: Client, ...args: A) => Promise<void>) {
  return async (...args: A) => {
    const client = createClient();
    try {
      await action(client, ...args);
      const command = args.at(-1);
      if (command instanceof Command && command.optsWithGlobals().wait) {
        const { applied, revision } = await client.host.wait.query({});
        if (!applied) throw new Error(`The host agents have not applied revision ${revision} yet`);
      }
    } catch (error) {
      console.error(terminalText(describeError(error)));
      process.exit(1);
    }
  };
}

type Crud = {
  list: (client: Client, options: Record<string, unknown>) => Promise<Row[]>;
  show: (client: Client, id: string) => Promise<Row>;
  remove: (client: Client, id: string) => Promise<unknown>;
  columns: Column[];
  /** What `list --long` adds to the columns. */
  long?: Column[];
  /** A positional filter of `list` (openstack's `security group rule list [group]`), given in its options. */
  listArgument?: string;
};

type ListOptions = Record<string, unknown> & { format: Format; long?: boolean; column?: string[] };

/** Adds `list`, `show` and `delete` to a resource's command; returns the command for its other verbs. */
export function addCrud(resource: Command, noun: string, crud: Crud): Command {
  const list = resource
    .command("list")
    .description(`List ${noun}s`)
    .addOption(formatOption())
    .option("-c, --column <column>", "show this column (repeat; as the table heads it)", repeat(String))
    .option("--project <project>", "only this project's");
  const { listArgument } = crud;
  if (listArgument) list.argument(`[${listArgument}]`);
  list.action(
    run(async (client) => {
      const options = { ...list.opts() } as ListOptions;
      if (listArgument) options[listArgument] = list.args[0];
      const all = options.long ? [...crud.columns, ...(crud.long ?? [])] : crud.columns;
      const columns = options.column ? selectColumns(all, options.column) : all;
      printList(await crud.list(client, options), columns, options.format, options.column !== undefined);
    }),
  );
  if (crud.long) list.option("--long", "list more columns");
  resource
    .command("show <id>")
    .description(`Show a ${noun} (name or ID)`)
    .addOption(formatOption())
    .action(
      run(async (client, id: string, options: { format: Format }) => {
        printOne(await crud.show(client, id), options.format);
      }),
    );
  resource
    .command("delete <ids...>")
    .description(`Delete ${noun}s`)
    .action(
      run(async (client, ids: string[]) => {
        for (const id of ids) await crud.remove(client, id);
      }),
    );
  return resource;
}
