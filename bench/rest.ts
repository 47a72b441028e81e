// npm run bench:rest: the OpenStack REST API's server time (the handler, from the Request to the Response, in this
// process, over an in-memory database) for the calls operators' tools make most: list 1,000 ports (Neutron),
// create a floating IP (Neutron), issue a token (Keystone: by password, which is one scrypt by design, and by
// token). Beside them, the whole `openstack port list` command and the client's own start-up (`openstack
// --version`) timed in the same run: what a user waits for, and how much of it is the client. Each call's CPU time
// (process.cpuUsage: PGlite runs in this process) is printed beside its wall time, which other work on a shared
// machine stretches.
import { run } from "../agent/host/exec";
import { parseTrustedProxies } from "../server/auth/proxies";
import { recentPasswords } from "../server/auth/recent-passwords";
import { listenRest } from "../server/node-fetch.testing";
import { serveRest } from "../server/rest/serve";
import { createTestApi } from "../server/testkit";
import { markdownTable, median, quantile } from "./stats";

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const COMMAND_RUNS = Math.max(3, Math.floor(RUNS / 6));
const PORTS = 1000;
const ORIGIN = "http://bench.test";

const api = await createTestApi();
const deps = { services: api.services, trustedProxies: parseTrustedProxies("") };

async function call(method: string, path: string, token?: string, body?: unknown): Promise<Response> {
  const res = await serveRest(
    new Request(`${ORIGIN}${path}`, {
      method,
      headers: {
        host: "bench.test",
        ...(token === undefined ? {} : { "x-auth-token": token }),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
    deps,
  );
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

const passwordAuth = {
  auth: {
    identity: { methods: ["password"], password: { user: { name: "admin", password: api.admin.password } } },
    scope: { project: { name: "admin", domain: { id: "default" } } },
  },
};

// The model: 1,000 ports on one network, and an external network with room for every floating IP made here.
const admin = api.caller;
await admin.network.create({ name: "bench-net" });
await admin.subnet.create({ name: "bench-subnet", network_id: "bench-net", cidr: "10.20.0.0/21" });
for (let i = 0; i < PORTS; i++) await admin.port.create({ name: `p${i}`, network_id: "bench-net" });
const ext = await admin.network.create({
  name: "bench-ext",
  "router:external": true,
  "provider:network_type": "flat",
  "provider:physical_network": "public",
});
await admin.subnet.create({ name: "bench-ext-subnet", network_id: "bench-ext", cidr: "198.51.100.0/22" });

const tokenOf = async (res: Response) => res.headers.get("x-subject-token") ?? "";
const token = await tokenOf(await call("POST", "/identity/v3/auth/tokens", undefined, passwordAuth));
const tokenAuth = { auth: { identity: { methods: ["token"], token: { id: token } } } };

type Times = { wall: number[]; cpu: number[] };

/** Wall and CPU ms of each run; `check` looks at each answer after its timing (reading it is the client's work). */
async function measure(
  runs: number,
  task: () => Promise<unknown>,
  check: (answer: unknown) => Promise<void> = async () => {},
): Promise<Times> {
  await check(await task()); // warm: the first call compiles the code paths
  const times: Times = { wall: [], cpu: [] };
  for (let i = 0; i < runs; i++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const answer = await task();
    times.wall.push(performance.now() - started);
    const used = process.cpuUsage(cpu);
    times.cpu.push((used.user + used.system) / 1000);
    await check(answer);
  }
  return times;
}

const listed = async (res: unknown) => {
  const body = (await (res as Response).json()) as { ports: unknown[] };
  if (body.ports.length < PORTS) throw new Error(`listed ${body.ports.length} ports`);
};
const cases: { name: string; goal: string; met?: (median: number) => boolean; times: Times }[] = [
  {
    name: `GET /v2.0/ports (${PORTS} ports)`,
    goal: "< 20 ms",
    met: (m) => m < 20,
    times: await measure(RUNS, () => call("GET", "/networking/v2.0/ports", token), listed),
  },
  {
    name: "POST /v2.0/floatingips",
    goal: "< 20 ms",
    met: (m) => m < 20,
    times: await measure(RUNS, () =>
      call("POST", "/networking/v2.0/floatingips", token, { floatingip: { floating_network_id: ext.id } }),
    ),
  },
  {
    name: "POST /v3/auth/tokens (token)",
    goal: "< 50 ms",
    met: (m) => m < 50,
    times: await measure(RUNS, () => call("POST", "/identity/v3/auth/tokens", undefined, tokenAuth)),
  },
  {
    // scrypt at OWASP's baseline costs a few hundred ms on purpose (server/auth/password.ts): the 50 ms is shown
    // against it so that the table says plainly which issue meets it, not sought. The remembered verifications
    // are forgotten before each call, as for a password not used in the last minutes.
    name: "POST /v3/auth/tokens (password, first: scrypt)",
    goal: "< 50 ms (not sought)",
    met: (m) => m < 50,
    times: await measure(Math.max(3, Math.floor(RUNS / 3)), () => {
      recentPasswords.clear();
      return call("POST", "/identity/v3/auth/tokens", undefined, passwordAuth);
    }),
  },
  {
    // The same password again within minutes (server/auth/recent-passwords.ts): what each `openstack` command does.
    name: "POST /v3/auth/tokens (password, repeated)",
    goal: "< 50 ms",
    met: (m) => m < 50,
    times: await measure(RUNS, () => call("POST", "/identity/v3/auth/tokens", undefined, passwordAuth)),
  },
];

// The whole commands, over HTTP as a user runs them.
const server = await listenRest(deps);
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OS_"))),
  OS_AUTH_URL: `${server.url}/identity`,
  OS_IDENTITY_API_VERSION: "3",
  OS_USERNAME: "admin",
  OS_PASSWORD: api.admin.password,
  OS_PROJECT_NAME: "admin",
  OS_USER_DOMAIN_NAME: "Default",
  OS_PROJECT_DOMAIN_NAME: "Default",
  NODE_ENV: process.env.NODE_ENV,
};
const openstack = (...args: string[]) => run("openstack", args, { env });
const command = await measure(COMMAND_RUNS, () => openstack("port", "list", "-f", "value", "-c", "ID"));
const startup = await measure(COMMAND_RUNS, () => openstack("--version"));
await server.close();
await api.close();

const ms = (x: number) => x.toFixed(1);
console.log(
  markdownTable(
    ["server time per call", "median ms", "p90 ms", "median CPU ms", "goal (median)", "met"],
    cases.map(({ name, goal, met, times }) => [
      name,
      ms(median(times.wall)),
      ms(quantile(times.wall, 0.9)),
      ms(median(times.cpu)),
      goal,
      met === undefined ? "-" : met(median(times.wall)) ? "yes" : "NO",
    ]),
  ),
);
const tokenIssue = cases.filter(({ name }) => name.startsWith("POST /v3/auth/tokens"));
console.log();
console.log("Token issue within 50 ms of server time (median):");
for (const { name, times } of tokenIssue) {
  const m = median(times.wall);
  const method = name.replace("POST /v3/auth/tokens ", "");
  console.log(`- ${method}: ${m < 50 ? "meets it" : "does NOT meet it"} (${ms(m)} ms)`);
}
console.log("  (a first password login runs one scrypt at OWASP's cost on purpose: server/auth/password.ts)");
console.log();
console.log(
  markdownTable(
    ["whole command", "median ms", "runs"],
    [
      [`openstack port list (${PORTS} ports)`, ms(median(command.wall)), String(command.wall.length)],
      ["openstack --version (the client's start-up)", ms(median(startup.wall)), String(startup.wall.length)],
    ],
  ),
);
