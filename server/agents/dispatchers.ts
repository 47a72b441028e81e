// The dispatchers of every agent the server dials, as one: started and stopped together, and asked for repairs
// as the host inspection asks one (each asks on its own agent's row, so each host puts back what drifted there).
import type { Dispatcher } from "./dispatcher";

export class Dispatchers {
  readonly #all: readonly Dispatcher[];

  constructor(all: readonly Dispatcher[]) {
    this.#all = all;
  }

  async start(): Promise<void> {
    for (const d of this.#all) await d.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.#all.map((d) => d.stop()));
  }

  async repair(target: "all" | readonly string[]): Promise<void> {
    await Promise.all(this.#all.map((d) => d.repair(target)));
  }

  /** On when every host repairs each push (the setting is per agent row; set together, read together). */
  async autoRepair(): Promise<boolean> {
    const each = await Promise.all(this.#all.map((d) => d.autoRepair()));
    return each.length > 0 && each.every(Boolean);
  }

  async setAutoRepair(on: boolean): Promise<void> {
    await Promise.all(this.#all.map((d) => d.setAutoRepair(on)));
  }
}
