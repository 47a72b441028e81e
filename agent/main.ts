// The host agent daemon. Example (what `npm run up` runs):
//   tsx agent/main.ts --listen 127.0.0.1:9797 --ovsdb unix:.netlens/ovs/db.sock --integration-bridge br-int \
//     --bridge-mapping public:br-ex --prefix '' --chain-prefix netlens --state-dir .netlens/agent \
//     --token-file .netlens/agent/token
// `--cleanup` removes everything of ours from the host and exits (scripts/up.sh calls it on Ctrl-C).
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { createAgent } from "./agent";
import { parseListen, serveAgent } from "./api/http";
import { parseMetadataUrl, serveMetadataRelay } from "./metadata/relay";
import { metadataSettings, parseAgentOptions } from "./options";

const { values } = parseArgs({
  options: {
    // Not 9697: that port belongs to Neutron's metadata proxy in every router namespace.
    listen: { type: "string", default: "127.0.0.1:9797" },
    ovsdb: { type: "string" },
    "ovs-rundir": { type: "string" },
    "integration-bridge": { type: "string" },
    "bridge-mapping": { type: "string", multiple: true, default: [] },
    host: { type: "string" },
    role: { type: "string", multiple: true },
    "local-ip": { type: "string" },
    "tunnel-bridge": { type: "string" },
    "host-netns": { type: "string" },
    "datapath-type": { type: "string" },
    prefix: { type: "string" },
    "chain-prefix": { type: "string" },
    "state-dir": { type: "string", default: ".netlens/agent" },
    "token-file": { type: "string" },
    // Where the metadata proxies' requests go (Neutron's nova_metadata_host): the server's metadata service.
    "metadata-url": { type: "string", default: "http://127.0.0.1:3000/api/metadata" },
    "log-level": { type: "string", default: "info" },
    "inspect-interval-ms": { type: "string" },
    cleanup: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
  strict: true,
});

const usage = `usage: tsx agent/main.ts --ovsdb unix:DIR/db.sock [--listen 127.0.0.1:9797] [--integration-bridge br-int]
  [--bridge-mapping physnet:bridge]... [--host NAME] [--role compute|network]... [--local-ip IP]
  [--tunnel-bridge br-tun] [--host-netns NAME] [--datapath-type netdev|system|dummy] [--prefix P] [--chain-prefix netlens]
  [--state-dir .netlens/agent] [--token-file STATE_DIR/token] [--ovs-rundir DIR] [--log-level info]
  [--inspect-interval-ms 2000] [--metadata-url http://127.0.0.1:3000/api/metadata] [--cleanup]`;

const logger = pino({ name: "netlens-agent", level: values["log-level"] });

async function readOrCreateToken(path: string): Promise<string> {
  try {
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) {
      // The token is the only thing between the network and root on this host: keep it private.
      await chmod(path, 0o600);
      logger.warn({ path }, "token file was readable by others; made it 0600");
    }
    const token = (await readFile(path, "utf8")).trim();
    if (token.length < 16) throw new Error(`Token in ${path} is shorter than 16 characters`);
    return token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const token = randomBytes(32).toString("hex");
    // "wx": never overwrite a token another process wrote meanwhile.
    await writeFile(path, `${token}\n`, { mode: 0o600, flag: "wx" });
    logger.info({ path }, "created a new agent token");
    return token;
  }
}

function parseMappings(list: string[]): Record<string, string> {
  const mappings: Record<string, string> = {};
  for (const item of list) {
    const [physnet, bridge, ...rest] = item.split(":");
    if (!physnet || !bridge || rest.length > 0)
      throw new Error(`--bridge-mapping: expected physnet:bridge, got ${item}`);
    mappings[physnet] = bridge;
  }
  return mappings;
}

async function main(): Promise<void> {
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  if (values.ovsdb === undefined) throw new Error(`--ovsdb is required\n${usage}`);
  const stateDir = resolve(values["state-dir"]);
  const interval = values["inspect-interval-ms"];
  // Defaults and checks live in options.ts (zod), so that the daemon and in-process agents agree.
  const options = parseAgentOptions({
    ovsdb: values.ovsdb.replace(/^unix:(?!\/)/, `unix:${process.cwd()}/`),
    ovsRunDir: values["ovs-rundir"] === undefined ? undefined : resolve(values["ovs-rundir"]),
    integrationBridge: values["integration-bridge"],
    bridgeMappings: parseMappings(values["bridge-mapping"]),
    host: values.host,
    roles: values.role,
    localIp: values["local-ip"],
    tunnelBridge: values["tunnel-bridge"],
    hostNetns: values["host-netns"],
    datapathType: values["datapath-type"],
    prefix: values.prefix,
    chainPrefix: values["chain-prefix"],
    stateDir,
    inspectIntervalMs: interval === undefined ? undefined : Number(interval),
  });
  const agent = await createAgent(options, logger);
  if (values.cleanup) {
    const result = await agent.cleanup();
    logger.info({ changes: result.changes, errors: result.errors }, "cleanup done");
    await agent.close();
    return;
  }
  const token = await readOrCreateToken(resolve(values["token-file"] ?? `${stateDir}/token`));
  const http = await serveAgent(agent, token, parseListen(values.listen));
  logger.info({ url: http.url }, "agent listening");
  const relay = await serveMetadataRelay({
    socketPath: metadataSettings(options).relaySocket,
    upstream: parseMetadataUrl(values["metadata-url"]),
    secret: async () => token,
    log: logger,
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping (the dataplane stays up)");
    relay.close();
    void http
      .close()
      .then(() => agent.close())
      .then(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, error instanceof Error ? error.message : String(error));
  process.exit(1);
});
