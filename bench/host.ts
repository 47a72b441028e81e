// What a bench that runs a real agent on its own OVS sandbox leaves behind, removed: the agent's resources, its
// namespaces (by the bench's prefix), the sandbox. Run in `finally`, so a failed bench cleans up too.
import type { Agent } from "../agent/agent";
import { run } from "../agent/host/exec";
import { namespacesWithPrefix, type Sandbox } from "../agent/testing/host";

export async function tearDownBenchHost(agent: Agent | undefined, prefix: string, sandbox: Sandbox) {
  if (agent !== undefined) {
    await agent.cleanup().catch(() => undefined);
    await agent.close();
  }
  for (const ns of await namespacesWithPrefix(prefix))
    await run("ip", ["netns", "del", ns], { allowFailure: true });
  await sandbox.stop();
}

/** The columns of a table that sets the agent's time beside a floor made by batch commands. */
export const AGENT_VS_FLOOR_HEADER = [
  "case",
  "agent ms",
  "floor ms",
  "ratio",
  "goal",
  "met",
  "agent: observe/plan/execute/verify ms",
];
