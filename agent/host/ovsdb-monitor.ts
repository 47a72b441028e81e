// `ovsdb-client monitor` of the Interface table's name, ofport and external_ids, as Neutron's OVS agent watches
// them: a VM's tap or a container's veth plugged into (or taken out of) the integration bridge is seen at once,
// not at the next poll. Each update line only says "look again": what changed is read afresh by the binder.
import { type ChildProcess, spawn } from "node:child_process";
import type { Logger } from "pino";

const RESTART_MS = 1000;

export class InterfaceMonitor {
  #child: ChildProcess | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly db: string,
    private readonly onChange: () => void,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.#stopped || this.#child !== undefined) return;
    const child = spawn(
      "ovsdb-client",
      ["monitor", this.db, "Open_vSwitch", "Interface", "name,ofport,external_ids", "--format=json"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.#child = child;
    child.stdout?.on("data", () => this.onChange());
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    const restart = (reason: string) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      if (this.#stopped) return;
      // OVS restarting: what was plugged meanwhile is read at the next start (its first update lists all rows).
      this.log.warn({ reason, stderr: stderr.trim() }, "OVSDB interface monitor ended; restarting it");
      this.#timer = setTimeout(() => this.start(), RESTART_MS);
      this.#timer.unref();
    };
    child.on("error", (error) => restart(error.message));
    child.on("exit", (code, signal) => restart(`exit ${code ?? signal}`));
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const child = this.#child;
    this.#child = undefined;
    child?.kill();
  }
}
