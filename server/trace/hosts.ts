// The hosts of one trace: each asked through its own agent's client, the host of each namespace (a question about
// a namespace goes to the host that has it), and the walk's view of them (Across: null with one host, whose walk
// never leaves it). A host whose agent the rows say is offline is not asked; one that fails a question is down
// from then on: its questions come back failed, and the walk names it (host-down) where the path reaches it.
import type { TraceAnswer, TraceQuestion } from "../../agent/contract/trace";
import type { TraceAgent, TraceHost } from "./agent";
import { HostAnswers } from "./ask";
import type { HostSeen } from "./diagnose";
import type { Across, TunnelHost, Wire } from "./walk-state";

type Side = { tunnel: TunnelHost; answers: HostAnswers; agent: TraceAgent };

/** A question no agent answered: failed, with why. */
function unanswered(question: TraceQuestion, error: string): TraceAnswer {
  if (question.kind === "route") return { kind: "route", ok: false, error, text: "" };
  return { kind: question.kind, ok: false, error } as TraceAnswer;
}

const PORTS: TraceQuestion = { kind: "ports" };

export class TraceHosts {
  readonly #sides = new Map<string, Side>();
  /** The host of each of our namespaces. */
  readonly hostOf: ReadonlyMap<string, string>;
  /** The first host: a namespace no host has is asked of it, as with one host. */
  readonly first: string;

  constructor(hosts: readonly TraceHost[], hostOf: ReadonlyMap<string, string>) {
    for (const h of hosts)
      this.#sides.set(h.host, { tunnel: { ...h.tunnel }, answers: new HostAnswers(h.agent), agent: h.agent });
    this.hostOf = hostOf;
    this.first = hosts[0]?.host ?? "";
  }

  get several(): boolean {
    return this.#sides.size > 1;
  }

  /** The host that has `namespace`. */
  hostOfNamespace(namespace: string): string {
    return this.hostOf.get(namespace) ?? this.first;
  }

  #side(host: string): Side {
    const side = this.#sides.get(host) ?? this.#sides.get(this.first);
    if (side === undefined) throw new Error("No host to trace on");
    return side;
  }

  answers(host: string): HostAnswers {
    return this.#side(host).answers;
  }

  agent(host: string): TraceAgent {
    return this.#side(host).agent;
  }

  /**
   * Answers in the order asked, each host's in one round trip, the hosts side by side: a namespace's questions
   * from its host, the others (OVS ports, ofproto/trace) from `home`, which must answer (its failure is the
   * trace's). With several hosts each host asked also says which OVS ports it has (and so its tunnel bridge).
   */
  async ask(
    questions: readonly TraceQuestion[],
    prefetch: readonly TraceQuestion[],
    home: string,
  ): Promise<TraceAnswer[]> {
    const hostOf = (q: TraceQuestion) => ("namespace" in q ? this.hostOfNamespace(q.namespace) : home);
    const groups = new Map<string, { questions: TraceQuestion[]; prefetch: TraceQuestion[] }>();
    const group = (host: string) => {
      let found = groups.get(host);
      if (found === undefined) {
        found = { questions: [], prefetch: this.several ? [PORTS] : [] };
        groups.set(host, found);
      }
      return found;
    };
    for (const q of questions) group(hostOf(q)).questions.push(q);
    for (const q of prefetch) group(hostOf(q)).prefetch.push(q);
    const answered = new Map<string, TraceAnswer[]>();
    await Promise.all(
      [...groups].map(async ([host, asked]) => {
        const side = this.#side(host);
        if (host !== home && !side.tunnel.online) {
          answered.set(
            host,
            asked.questions.map((q) => unanswered(q, `the agent of host ${host} is offline`)),
          );
          return;
        }
        try {
          answered.set(host, await side.answers.ask(asked.questions, asked.prefetch));
        } catch (error) {
          if (host === home) throw error;
          side.tunnel.online = false;
          const why = error instanceof Error ? error.message : String(error);
          answered.set(
            host,
            asked.questions.map((q) => unanswered(q, why)),
          );
        }
      }),
    );
    const next = new Map<string, number>();
    return questions.map((q) => {
      const host = hostOf(q);
      const index = next.get(host) ?? 0;
      next.set(host, index + 1);
      return answered.get(host)?.[index] ?? unanswered(q, `host ${host} gave no answer`);
    });
  }

  /** Asks every other host that is online which OVS ports it has (its tunnel bridge comes with the answer). */
  async meet(except: readonly string[]): Promise<void> {
    if (!this.several) return;
    await Promise.all(
      [...this.#sides].map(async ([host, side]) => {
        if (except.includes(host) || !side.tunnel.online) return;
        await side.answers.ask([PORTS]).catch(() => {
          side.tunnel.online = false;
        });
      }),
    );
  }

  /** The hosts that answered, as the trace saw them: what each says of itself, and its OVS ports. */
  async seen(): Promise<Map<string, HostSeen>> {
    const seen = new Map<string, HostSeen>();
    for (const [host, side] of this.#sides) {
      if (!side.tunnel.online || !side.answers.answered) continue;
      const [answer] = await side.answers.ask([PORTS]);
      seen.set(host, {
        info: side.answers.info,
        ports: answer?.kind === "ports" && answer.ok ? answer.ports : [],
      });
    }
    return seen;
  }

  /**
   * The walk's view of the hosts (once they answered: their tunnel bridges), `tunnelled` the VXLAN networks,
   * `wires` the provider ones; null with one host.
   */
  across(tunnelled: ReadonlySet<string>, wires: ReadonlyMap<string, Wire>): Across | null {
    if (!this.several) return null;
    const hosts = new Map(
      [...this.#sides].map(([host, side]) => {
        const answered = side.answers.answered ? side.answers.info : null;
        const tunnel = { ...side.tunnel, tunnel_bridge: answered?.tunnel_bridge ?? null };
        return [host, { host: tunnel, answers: side.tunnel.online ? side.answers : null }] as const;
      }),
    );
    return { hostOf: this.hostOf, hosts, tunnelled, wires };
  }
}
