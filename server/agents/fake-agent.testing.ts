// For tests: an agent in memory that records each intent it applies. It fails a revision that is not newer than
// the one it applied (the real agent refuses an older one and re-applies an equal one: here a second push of a
// revision shows); it can be down, refuse every intent, or answer with errors. It says it is host h1 with both
// roles unless told otherwise (a host of several: its name, roles and tunnel address).
import type { AgentInfo, ApplyResult, HostIntent } from "../../agent/contract/intent";
import { type AgentApi, IntentRefusedError } from "./client";

export class FakeAgent implements AgentApi {
  applied = 0;
  pushes: HostIntent[] = [];
  down = false;
  /** Refuse every intent, as the agent does one whose envelope does not hold. */
  refuse = false;
  attempts = 0;
  errors: ApplyResult["errors"] = [];
  mappings: Record<string, string> = { public: "br-ex" };
  /** How long an apply takes (a real one may take seconds). */
  applyMs = 0;

  constructor(readonly self: Pick<AgentInfo, "host" | "roles" | "local_ip"> = { host: "h1" }) {}

  async info(): Promise<AgentInfo> {
    if (this.down) throw new Error("connect ECONNREFUSED");
    return {
      ...this.self,
      prefix: "t-",
      integration_bridge: "br-int",
      bridge_mappings: this.mappings,
      applied_revision: this.applied,
      version: "test",
    };
  }

  async apply(intent: HostIntent): Promise<ApplyResult> {
    if (this.down) throw new Error("connect ECONNREFUSED");
    this.attempts++;
    if (this.applyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.applyMs));
    if (this.refuse) throw new IntentRefusedError("Invalid input: revision");
    if (intent.revision <= this.applied)
      throw new Error(`revision ${intent.revision} is not newer than ${this.applied}`);
    this.pushes.push(intent);
    this.applied = intent.revision;
    return { revision: intent.revision, changes: 1, duration_ms: 1, errors: this.errors };
  }
}
