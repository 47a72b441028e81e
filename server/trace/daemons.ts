// What the host runs that an end of the trace relies on: the DHCP server of its network (a lease), the metadata
// proxy that answers it; asked of the agent (`daemons`), once per namespace, alongside the trace's other
// questions. And the ends that are workloads' ports: their binding and lease decide before any hop is walked.
import type { TraceDaemon, TraceQuestion } from "../../agent/contract/trace";
import type { Asker } from "./ask";
import { portEndView, unboundDiagnosis, workloadPort } from "./binding";
import type { TraceModel } from "./facts";
import { type DhcpFacts, leaseDiagnosis } from "./lease";
import type { HostPlaces } from "./places";

type DaemonsQuestion = Extract<TraceQuestion, { kind: "daemons" }>;

/** The daemons of the network's DHCP namespace, when this host serves the network (one question). */
export function dhcpQuestion(places: HostPlaces, networkId: string): DaemonsQuestion | null {
  const place = places.dhcp.get(networkId);
  return place ? { kind: "daemons", namespace: place.namespace } : null;
}

/** What the host said of the daemons of a namespace (null: not asked, or not answered). */
export async function daemonsOf(
  hostAnswers: Asker,
  question: TraceQuestion | null,
): Promise<TraceDaemon[] | null> {
  if (question === null) return null;
  const [answer] = await hostAnswers.ask([question]);
  return answer?.kind === "daemons" && answer.ok ? answer.daemons : null;
}

/** The network's DHCP server as the host runs it; null when this host serves no DHCP for the network. */
export async function dhcpFacts(
  hostAnswers: Asker,
  places: HostPlaces,
  networkId: string,
): Promise<DhcpFacts | null> {
  const question = dhcpQuestion(places, networkId);
  if (question === null) return null;
  return { namespace: question.namespace, daemons: await daemonsOf(hostAnswers, question) };
}

/**
 * The workload's ports the ends name that nothing reaches: unbound, or with no lease to be had (asked of the
 * host for a bound port on a DHCP subnet). Null when neither end is such a port.
 */
export async function workloadEnds(
  model: TraceModel,
  places: HostPlaces,
  hostAnswers: Asker,
  refs: string[],
) {
  const found = refs.map((ref) => workloadPort(model, ref));
  const asked = found.flatMap((f) => {
    const subnet = f?.port.subnet_id ? model.subnets.get(f.port.subnet_id) : undefined;
    const question = f?.port.bound && subnet?.enableDhcp ? dhcpQuestion(places, f.port.network_id) : null;
    return question ? [question] : [];
  });
  if (asked.length > 0) await hostAnswers.ask(asked);
  const ends = await Promise.all(
    found.map(async (f) => {
      if (f === null) return null;
      // Only a bound port's requests reach the DHCP server: its daemons were asked above.
      const facts: DhcpFacts | null = f.port.bound
        ? await dhcpFacts(hostAnswers, places, f.port.network_id)
        : null;
      const lease = leaseDiagnosis(model, { port: f.port, bound: f.port.bound }, facts, null);
      const diagnoses = [unboundDiagnosis(f), lease].flatMap((d) => (d === null ? [] : [d]));
      return { view: portEndView(f), diagnoses };
    }),
  );
  return ends.some((e) => e !== null && e.diagnoses.length > 0) ? ends : null;
}
