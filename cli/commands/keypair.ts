// `netlens keypair …`: Nova's key pairs, as `openstack keypair create --public-key FILE NAME`.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { addCrud, formatOption, run } from "../command";
import { type Format, field, printOne } from "../output";

export function keypairCommands(program: Command): void {
  const keypair = addCrud(
    program.command("keypair").description("Your SSH public keys, handed to servers by the metadata service"),
    "keypair",
    {
      list: (c) => c.keypair.list.query(),
      show: (c, id) => c.keypair.show.query({ id }),
      remove: (c, id) => c.keypair.delete.mutate({ id }),
      columns: [field("Name", "name"), field("Fingerprint", "fingerprint"), field("Type", "type")],
    },
  );
  keypair
    .command("create <name>")
    .description("Store a public key (netlens does not make private keys: give --public-key)")
    .addOption(formatOption())
    .requiredOption("--public-key <file>", "the public key file (e.g. ~/.ssh/id_ed25519.pub)")
    .action(
      run(async (client, name: string, o) => {
        const created = await client.keypair.create.mutate({
          name,
          public_key: await readFile(o.publicKey, "utf8"),
        });
        printOne(created, o.format as Format);
      }),
    );
}
