// Which of a bridge's flows a filtered `ovs-ofctl dump-flows` returns, as text, so that a self-check can read
// back only the part of a bridge an apply changed: the match the changed flows all share. Pure.

/** The fields of a flow's match (`table=`, `tcp`, `reg6=0x1`...), without its cookie and priority. */
function matchFields(flow: string): string[] {
  const match = flow.split(" actions=")[0] ?? "";
  return match.split(",").filter((f) => !f.startsWith("cookie=") && !f.startsWith("priority="));
}

/**
 * The match fields every one of `flows` has, as a dump-flows filter (empty: they share none, read the whole
 * bridge). Every flow of the filter's returns (OVS's loose match: each field at least this specific) with these
 * fields exactly is one `covered` says is.
 */
export function commonMatch(flows: readonly string[]): string[] {
  const [first, ...rest] = flows;
  if (first === undefined) return [];
  let common = matchFields(first);
  for (const flow of rest) {
    const fields = new Set(matchFields(flow));
    common = common.filter((f) => fields.has(f));
    if (common.length === 0) break;
  }
  return common;
}

/**
 * Whether a flow has every field of the filter as written: such a flow is one the filtered dump returns
 * (OVS may return more: flows more specific on a field than the filter, which are read back all the same).
 */
export function covered(flow: string, filter: readonly string[]): boolean {
  // As text, in place (a field between commas, or the last one before the actions): this runs over every flow
  // of the bridge, ~12,000 of them, and most fail on their first field.
  const end = flow.indexOf(" actions=");
  const match = end < 0 ? flow.length : end;
  return filter.every((field) => {
    for (let at = flow.indexOf(field); at >= 0 && at < match; at = flow.indexOf(field, at + 1)) {
      const after = at + field.length;
      if (flow[at - 1] === "," && (after === match || flow[after] === ",")) return true;
    }
    return false;
  });
}

/**
 * A bridge's flows after a filtered read: those the filter covers are taken from what it returned (`read`),
 * the others from the last picture, which nothing else changed since.
 */
export function mergeFlows(previous: readonly string[], filter: readonly string[], read: readonly string[]) {
  return [...new Set([...previous.filter((f) => !covered(f, filter)), ...read])].sort();
}
