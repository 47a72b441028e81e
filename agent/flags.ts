// The daemon's flags (agent/main.ts) and where their values come from: the command line over the config file
// (--config, agent/config-file.ts) over the defaults.
import { parseArgs } from "node:util";
import { type OptionValues, parseConfigFile, withCommandLine } from "./config-file";

export const AGENT_FLAGS = {
  config: { type: "string" },
  listen: { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  ovsdb: { type: "string" },
  "ovs-rundir": { type: "string" },
  "integration-bridge": { type: "string" },
  "bridge-mapping": { type: "string", multiple: true },
  host: { type: "string" },
  role: { type: "string", multiple: true },
  "local-ip": { type: "string" },
  "tunnel-bridge": { type: "string" },
  "host-netns": { type: "string" },
  "datapath-type": { type: "string" },
  prefix: { type: "string" },
  "chain-prefix": { type: "string" },
  "state-dir": { type: "string" },
  "token-file": { type: "string" },
  "metadata-url": { type: "string" },
  "log-level": { type: "string" },
  "inspect-interval-ms": { type: "string" },
  cleanup: { type: "boolean" },
  help: { type: "boolean" },
} as const;

/** Under the config file and the flags, so that a flag or a line of the file wins over them. */
const DEFAULTS = {
  // Not 9697: that port belongs to Neutron's metadata proxy in every router namespace.
  listen: "127.0.0.1:9797",
  "bridge-mapping": [],
  "state-dir": ".netlens/agent",
  // Where the metadata proxies' requests go (Neutron's nova_metadata_host): the server's metadata service.
  "metadata-url": "http://127.0.0.1:3000/api/metadata",
  "log-level": "info",
} satisfies OptionValues<typeof AGENT_FLAGS>;

/** The options of `args` (the command line without node and the script), reading --config with `read`. */
export function agentFlags(args: string[], read: (file: string) => string) {
  const commandLine = parseArgs({ args, options: AGENT_FLAGS, strict: true, allowPositionals: false }).values;
  const file = commandLine.config;
  const fromFile =
    file === undefined
      ? {}
      : parseConfigFile(read(file), AGENT_FLAGS, { source: file, notInFile: ["config", "cleanup", "help"] });
  return { ...DEFAULTS, ...withCommandLine(fromFile, commandLine) };
}
