// netlens: the command line of the netlens API, with the openstack CLI's verbs.
import { Command } from "commander";
import { auditCommands } from "./commands/audit";
import { floatingIpCommands } from "./commands/floatingIp";
import { hostCommands } from "./commands/host";
import { inspectCommands } from "./commands/inspect";
import { keypairCommands } from "./commands/keypair";
import { networkCommands } from "./commands/network";
import { portCommands } from "./commands/port";
import { projectCommands } from "./commands/project";
import { routerCommands } from "./commands/router";
import { securityGroupCommands } from "./commands/securityGroup";
import { serverCommands } from "./commands/server";
import { subnetCommands } from "./commands/subnet";
import { tokenCommands } from "./commands/token";
import { traceCommands } from "./commands/trace";
import { roleCommands, userCommands } from "./commands/user";

const program = new Command("netlens")
  .description(
    "netlens: Neutron-style virtual networking (NETLENS_URL selects the API; NETLENS_TOKEN, or NETLENS_USERNAME, " +
      "NETLENS_PASSWORD and NETLENS_PROJECT, say who you are)",
  )
  .option("--wait", "after a change, wait until the host agents applied it")
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

networkCommands(program);
subnetCommands(program);
portCommands(program);
routerCommands(program);
serverCommands(program);
keypairCommands(program);
floatingIpCommands(program);
securityGroupCommands(program);
projectCommands(program);
hostCommands(program);
tokenCommands(program);
userCommands(program);
roleCommands(program);
traceCommands(program);
inspectCommands(program);
auditCommands(program);

await program.parseAsync(process.argv);
