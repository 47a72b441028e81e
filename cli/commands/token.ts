import { type Command, Option } from "commander";
import { formatOption, run } from "../command";
import { type Format, field, printList, printOne } from "../output";

export function tokenCommands(program: Command): void {
  const token = program.command("token").description("API tokens (for NETLENS_TOKEN)");
  token
    .command("issue")
    .description("Issue an API token for the current user (shown once: keep it)")
    .addOption(formatOption())
    .addOption(new Option("-c, --column <field>", "print only this field (e.g. -f value -c id)"))
    .option("--name <name>", "what the token is for", "")
    .action(
      run(async (client, o: { format: Format; column?: string; name: string }) => {
        const {
          token: id,
          expires_at,
          project_id,
          user_id,
          name,
          id: tokenId,
        } = await client.token.issue.mutate({
          name: o.name,
        });
        // As `openstack token issue`: the token itself in `id`; `token_id` is what `token list` shows.
        const issued: Record<string, unknown> = {
          id,
          expires: expires_at,
          project_id,
          user_id,
          name,
          token_id: tokenId,
        };
        if (o.column !== undefined && !(o.column in issued)) throw new Error(`No field ${o.column}`);
        printOne(o.column === undefined ? issued : { [o.column]: issued[o.column] }, o.format);
      }),
    );
  token
    .command("list")
    .description("List your API tokens (admins: --all for everyone's)")
    .addOption(formatOption())
    .option("--all", "every user's tokens (admins)", false)
    .action(
      run(async (client, o: { format: Format; all: boolean }) => {
        printList(
          await client.token.list.query({ all: o.all }),
          [
            field("ID", "id"),
            field("Name", "name"),
            field("User", "user"),
            field("Created", "created_at"),
            field("Expires", "expires_at"),
            field("Last Used", "last_used_at"),
            field("Revoked", "revoked_at"),
          ],
          o.format,
        );
      }),
    );
  token
    .command("revoke <tokens...>")
    .description("Revoke API tokens (the token itself, or its ID)")
    .action(
      run(async (client, tokens: string[]) => {
        for (const id of tokens) await client.token.revoke.mutate({ id });
      }),
    );
}
