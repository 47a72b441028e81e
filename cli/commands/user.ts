import { type Command, Option } from "commander";
import { roles } from "../../lib/schemas/auth";
import { formatOption, run } from "../command";
import { type Format, field, printList, printOne } from "../output";

const rolesColumn = (row: Record<string, unknown>) =>
  ((row.roles ?? []) as { project: string; role: string }[]).map((r) => `${r.role}@${r.project}`).join(", ");

export function userCommands(program: Command): void {
  const user = program.command("user").description("Users (admins)");
  user
    .command("create <name>")
    .description("Create a user, with a role on a project")
    .addOption(formatOption())
    .requiredOption("--password <password>", "the user's password (8 characters or more)")
    .option("--project <project>", "project to give the user a role on")
    .addOption(new Option("--role <role>", "role on --project").choices(roles))
    .action(
      run(
        async (
          client,
          name: string,
          o: { format: Format; password: string; project?: string; role?: (typeof roles)[number] },
        ) => {
          // As openstack's `user create --project P` implies a role, so does ours: member unless told.
          const role = o.role ?? (o.project === undefined ? undefined : "member");
          if (o.role !== undefined && o.project === undefined) throw new Error("--role needs --project");
          printOne(
            await client.user.create.mutate({ name, password: o.password, project: o.project, role }),
            o.format,
          );
        },
      ),
    );
  user
    .command("list")
    .addOption(formatOption())
    .action(
      run(async (client, o: { format: Format }) => {
        printList(
          await client.user.list.query(),
          [field("ID", "id"), field("Name", "name"), { header: "Roles", value: rolesColumn }],
          o.format,
        );
      }),
    );
  user
    .command("set <user>")
    .description("Change a user's password")
    .requiredOption("--password <password>", "the new password")
    .action(
      run(async (client, id: string, o: { password: string }) => {
        await client.user.setPassword.mutate({ id, password: o.password });
      }),
    );
  user.command("delete <users...>").action(
    run(async (client, ids: string[]) => {
      for (const id of ids) await client.user.delete.mutate({ id });
    }),
  );
}

/** `openstack role add --user U --project P ROLE`, `role remove`, `role assignment list`. */
export function roleCommands(program: Command): void {
  const role = program.command("role").description("Role assignments (admins)");
  role
    .command("add <role>")
    .description(`Give a user a role (${roles.join(" or ")}) on a project`)
    .requiredOption("--user <user>", "user name or ID")
    .requiredOption("--project <project>", "project name or ID")
    .action(
      run(async (client, name: string, o: { user: string; project: string }) => {
        const parsed = roles.find((r) => r === name);
        if (!parsed) throw new Error(`Role ${name} does not exist (roles: ${roles.join(", ")})`);
        await client.role.assign.mutate({ user: o.user, project: o.project, role: parsed });
      }),
    );
  role
    .command("remove [role]")
    .description("Take a user's role on a project away")
    .requiredOption("--user <user>", "user name or ID")
    .requiredOption("--project <project>", "project name or ID")
    .action(
      run(async (client, _role: string | undefined, o: { user: string; project: string }) => {
        await client.role.unassign.mutate({ user: o.user, project: o.project });
      }),
    );
  role
    .command("assignment")
    .command("list")
    .addOption(formatOption())
    .option("--user <user>", "only this user's")
    .option("--project <project>", "only on this project")
    .action(
      run(async (client, o: { format: Format; user?: string; project?: string }) => {
        printList(
          await client.role.list.query({ user: o.user, project: o.project }),
          [field("Role", "role"), field("User", "user"), field("Project", "project")],
          o.format,
        );
      }),
    );
}
