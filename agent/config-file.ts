// The agent's configuration file (`--config /etc/netlens/agent.conf`, what a systemd unit points at, as Neutron's
// agents read theirs): `key = value` lines, or one JSON object, whose keys are the daemon's long options. A key that
// is no option is refused by name (a typo must not fall back silently to a default); a repeatable option
// (bridge-mapping, role) is given once per line, or as a JSON list. Flags on the command line win over the file.

/** The daemon's options as node:util parseArgs declares them. */
export type OptionSpecs = Readonly<Record<string, { type: "string" | "boolean"; multiple?: boolean }>>;

/** What the file may set: each option's value, a list for a repeatable one. */
export type OptionValues<S extends OptionSpecs> = {
  [K in keyof S]?: S[K] extends { type: "boolean" }
    ? boolean
    : S[K] extends { multiple: true }
      ? string[]
      : string;
};

export class ConfigFileError extends Error {
  constructor(source: string, where: string, message: string) {
    super(`${source}${where}: ${message}`);
    this.name = "ConfigFileError";
  }
}

/** A key, its value, and where in the file it was (for errors). */
type Entry = readonly [key: string, value: unknown, where: string];

/** Lines of `key = value`: blank lines and lines starting with # are skipped; values are trimmed. */
function entriesOfLines(text: string, source: string): Entry[] {
  const entries: Entry[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const where = `:${i + 1}`;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new ConfigFileError(source, where, `expected "key = value", got "${line}"`);
    entries.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim(), where]);
  }
  return entries;
}

function entriesOfJson(text: string, source: string): Entry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigFileError(source, "", `not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new ConfigFileError(source, "", "expected one JSON object of option names and values");
  return Object.entries(parsed).flatMap(([key, value]) =>
    Array.isArray(value)
      ? value.map((v) => [key, v, ` (${key})`] as const)
      : [[key, value, ` (${key})`] as const],
  );
}

/**
 * The options `text` sets. `specs` are the daemon's options; `notInFile` those that are actions of one run, not
 * configuration (--help, --cleanup, --config itself). `source` names the file in errors.
 */
export function parseConfigFile<S extends OptionSpecs>(
  text: string,
  specs: S,
  options: { source: string; notInFile: readonly (keyof S & string)[] },
): OptionValues<S> {
  const { source } = options;
  const allowed = Object.keys(specs).filter((k) => !options.notInFile.includes(k));
  const entries = text.trimStart().startsWith("{")
    ? entriesOfJson(text, source)
    : entriesOfLines(text, source);
  const values: Record<string, string | string[]> = {};
  for (const [key, value, where] of entries) {
    const spec = allowed.includes(key) ? specs[key] : undefined;
    if (spec?.type !== "string")
      throw new ConfigFileError(source, where, `unknown key "${key}" (the keys are: ${allowed.join(", ")})`);
    if (typeof value !== "string" && typeof value !== "number")
      throw new ConfigFileError(source, where, `${key}: expected a string, got ${JSON.stringify(value)}`);
    const text = String(value);
    if (text === "") throw new ConfigFileError(source, where, `${key}: no value`);
    if (spec.multiple) {
      const list = values[key];
      values[key] = Array.isArray(list) ? [...list, text] : [text];
    } else {
      if (key in values) throw new ConfigFileError(source, where, `${key} is given twice`);
      values[key] = text;
    }
  }
  return values as OptionValues<S>;
}

/** The file's options with the command line's over them (a repeatable option: the command line's list whole). */
export function withCommandLine<V extends Record<string, unknown>>(file: V, commandLine: V): V {
  const given = Object.entries(commandLine).filter(([, value]) => value !== undefined);
  return { ...file, ...Object.fromEntries(given) };
}
