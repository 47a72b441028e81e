// The host's answers for one trace. Every question goes to the agent at most once; questions asked together go
// in one round trip (the agent answers them at once: one `ip -batch` per namespace, ofproto/traces side by
// side). The walk uses this to put what it knows it will ask next (the OVS leg into a namespace, the route there,
// the reply's first route where the packet may end) in the same call, so that a trace costs a handful of round
// trips instead of one per host question. Each answer is still the host's own.
import type { TraceAnswer, TraceHostInfo, TraceQuestion } from "../../agent/contract/trace";
import type { TraceAgent } from "./agent";

/** The same question gives the same key, whatever order its fields were written in. */
export function questionKey(question: TraceQuestion): string {
  return JSON.stringify(Object.entries(question).sort(([a], [b]) => a.localeCompare(b)));
}

export class HostAnswers {
  readonly #agent: TraceAgent;
  readonly #answers = new Map<string, TraceAnswer>();
  #info: TraceHostInfo | undefined;
  /** Round trips to the agent so far. */
  calls = 0;

  constructor(agent: TraceAgent) {
    this.#agent = agent;
  }

  /** Whether the agent answered once (its info is known). */
  get answered(): boolean {
    return this.#info !== undefined;
  }

  /** What the agent says about itself (known after the first call). */
  get info(): TraceHostInfo {
    if (this.#info === undefined) throw new Error("The agent has not answered yet");
    return this.#info;
  }

  /**
   * Answers in the order asked; those not known yet are asked in one round trip, and `prefetch` with them (when a
   * round trip is made anyway: questions likely to come next, whose answers are then kept).
   */
  async ask(
    questions: readonly TraceQuestion[],
    prefetch: readonly TraceQuestion[] = [],
  ): Promise<TraceAnswer[]> {
    const keys = questions.map(questionKey);
    const missing = new Map<string, TraceQuestion>();
    questions.forEach((q, i) => {
      const key = keys[i] ?? "";
      if (!this.#answers.has(key)) missing.set(key, q);
    });
    if (missing.size > 0) {
      for (const q of prefetch) {
        const key = questionKey(q);
        if (!this.#answers.has(key)) missing.set(key, q);
      }
      this.calls++;
      const { info, answers } = await this.#agent.ask([...missing.values()]);
      this.#info = info;
      [...missing.keys()].forEach((key, i) => {
        const answer = answers[i];
        if (answer !== undefined) this.#answers.set(key, answer);
      });
    }
    return questions.map((q, i) => {
      const answer = this.#answers.get(keys[i] ?? "");
      if (answer?.kind !== q.kind) throw new Error(`The agent gave no ${q.kind} answer`);
      return answer;
    });
  }

  /** One question's answer (see `ask` for `prefetch`). */
  async one<K extends TraceQuestion["kind"]>(
    question: TraceQuestion & { kind: K },
    prefetch: readonly TraceQuestion[] = [],
  ): Promise<Extract<TraceAnswer, { kind: K }>> {
    const [answer] = await this.ask([question], prefetch);
    return answer as Extract<TraceAnswer, { kind: K }>;
  }
}

/** What asks questions: one host's answers, or the trace's hosts, each question of the host it concerns. */
export type Asker = Pick<HostAnswers, "ask">;
