// The dependency rules of DESIGN.md §1: `npm run deps`, a step of `npm test`.
//
// Plain `npx depcruise` would find typescript@7, which has no JS API, skip every .ts file and pass: refuse it.
// scripts/deps.mjs runs dependency-cruiser with a TypeScript 6 it can parse with.
if (Number(require("typescript/package.json").version.split(".")[0]) >= 7) {
  throw new Error("run the dependency check as `npm run deps` (scripts/deps.mjs), not plain depcruise");
}

// The layering rules are about the code that ships: tests and harnesses may reach across layers to set a scene
// (a server test drives the agent's own monitor; the CLI's harness starts a stack). Cycles count everywhere.
const TEST = "(\\.test\\.tsx?|\\.testing\\.ts)$|(^|/)testing/|^server/testkit\\.ts$";
const NPM = "^node_modules/";
// Node modules with no I/O: what a pure planner may use.
const PURE_CORE = "^(assert|buffer|crypto|events|path|querystring|string_decoder|url|util)(/|$)";

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "Counts `import type` too: a cycle through types still ties the files into one unit.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "not-to-unresolvable",
      comment:
        "An import the check cannot resolve is one it cannot judge (a broken `@/` alias would pass silently).",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "components-only-lib",
      comment: "The browser bundle: components see lib/ and the router type, never server or agent code.",
      severity: "error",
      from: { path: "^components/", pathNot: TEST },
      to: { pathNot: `^(components|lib)/|${NPM}|^server/api/root\\.ts$`, dependencyTypesNot: ["core"] },
    },
    {
      name: "router-type-only",
      comment:
        "Clients know the server's API by its type; importing root.ts for real pulls in the whole server.",
      severity: "error",
      from: { path: "^(components|cli)/", pathNot: TEST },
      to: { path: "^server/api/root\\.ts$", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "app-not-agent",
      comment: "Nothing in the UI reaches the agent: the server stands between them.",
      severity: "error",
      from: { path: "^app/" },
      to: { path: "^agent/" },
    },
    {
      name: "server-not-ui",
      comment: "app/api -> server, not the other way round.",
      severity: "error",
      from: { path: "^server/", pathNot: TEST },
      to: { path: "^(app|components|cli)/" },
    },
    {
      name: "server-agent-contract-only",
      comment:
        "The server knows the agent by its protocol (contract/) and its router type (api/), nothing else.",
      severity: "error",
      from: { path: "^server/", pathNot: TEST },
      to: { path: "^agent/", pathNot: "^agent/(contract|api)/" },
    },
    {
      name: "server-agent-types-only",
      comment: "Agent code must not run inside the server process: `import type` only.",
      severity: "error",
      from: { path: "^server/", pathNot: TEST },
      to: { path: "^agent/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "agent-only-lib",
      comment: "The agent is deployed alone on each host: lib/, itself and npm packages only.",
      severity: "error",
      from: { path: "^agent/", pathNot: TEST },
      to: { pathNot: `^(agent|lib)/|${NPM}`, dependencyTypesNot: ["core"] },
    },
    {
      name: "agent-contract-closed",
      comment: "The protocol both sides share: zod, lib/ and itself; reading it never pulls in agent code.",
      severity: "error",
      from: { path: "^agent/contract/", pathNot: TEST },
      to: { pathNot: "^(agent/contract|lib|node_modules/zod)/" },
    },
    {
      name: "lib-only-lib",
      comment: "lib/ is isomorphic and at the bottom: both sides import it, it imports neither.",
      severity: "error",
      from: { path: "^lib/", pathNot: TEST },
      to: { pathNot: `^lib/|${NPM}`, dependencyTypesNot: ["core"] },
    },
    {
      name: "cli-only-lib",
      comment:
        "The CLI is a tRPC client like the browser. Its harness cli/testing/ is a test: it may import more.",
      severity: "error",
      from: { path: "^cli/", pathNot: TEST },
      to: { pathNot: `^(cli|lib)/|${NPM}|^server/api/root\\.ts$`, dependencyTypesNot: ["core"] },
    },
    {
      name: "plan-pure",
      comment: "intent -> plan -> diff is pure, so it is tested without a host: no I/O modules.",
      severity: "error",
      from: { path: "^agent/plan/", pathNot: TEST },
      to: { dependencyTypes: ["core"], pathNot: PURE_CORE },
    },
    {
      name: "only-host-starts-processes",
      comment: "One place runs commands on the host (argument arrays, no shell); elsewhere only harnesses.",
      severity: "error",
      from: { pathNot: `^agent/host/|^(e2e|bench|scripts)/|^playwright\\.config\\.ts$|${TEST}` },
      to: { dependencyTypes: ["core"], path: "^(child_process|cluster)$" },
    },
  ],
  options: {
    tsPreCompilationDeps: true, // see `import type` (dependencyTypes "type-only")
    tsConfig: { fileName: "tsconfig.json" }, // the `@/` alias
    preserveSymlinks: true, // node_modules may be a symlink (worktrees): keep its paths under node_modules/
    doNotFollow: { path: NPM },
    exclude: { path: "^(\\.next[^/]*|\\.netlens|\\.git|test-results|playwright-report|cli/dist)/" },
  },
};
