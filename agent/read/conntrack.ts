// PURE: `conntrack -L` lines -> entries, for inspection. A line is `<proto> <number> <timeout> [<state>]` and
// then key=value fields: the original direction's src/dst(/sport/dport), the reply's, flags in brackets.
import type { ConntrackEntry, ConntrackTuple } from "../../lib/host-snapshot";

function tuple(fields: Map<string, string>): ConntrackTuple {
  const port = (key: string) => {
    const value = fields.get(key);
    return value === undefined ? null : Number(value);
  };
  return {
    src: fields.get("src") ?? "",
    dst: fields.get("dst") ?? "",
    sport: port("sport"),
    dport: port("dport"),
  };
}

export function parseConntrack(text: string): ConntrackEntry[] {
  const entries: ConntrackEntry[] = [];
  for (const line of text.split("\n")) {
    const words = line.trim().split(/\s+/);
    const [protocol, , , maybeState] = words;
    if (protocol === undefined || protocol === "" || words.length < 4) continue;
    const state = maybeState !== undefined && /^[A-Z_]+$/.test(maybeState) ? maybeState : null;
    const directions = [new Map<string, string>(), new Map<string, string>()];
    const flags: string[] = [];
    let current = 0;
    for (const word of words.slice(state === null ? 3 : 4)) {
      const flag = /^\[(\w+)\]$/.exec(word);
      if (flag?.[1] !== undefined) {
        flags.push(flag[1]);
        continue;
      }
      const eq = word.indexOf("=");
      if (eq < 0) continue;
      const key = word.slice(0, eq);
      // The second src= starts the reply direction.
      if (key === "src" && directions[current]?.has("src")) current = 1;
      directions[current]?.set(key, word.slice(eq + 1));
    }
    const [original = new Map(), reply = new Map()] = directions;
    entries.push({
      protocol,
      state,
      original: tuple(original),
      reply: tuple(reply),
      flags,
      text: line.trim(),
    });
  }
  return entries;
}
