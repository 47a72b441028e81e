// Inputs for the API fuzzer (fuzz.test.ts), generated from each procedure's zod input schema through its JSON
// Schema. Three kinds of input, so that calls reach the rules as well as the schema: good ones (values from the
// world under test, names and IDs that resolve, addresses in its subnets), good ones with one field spoilt, and
// wholly hostile ones (control characters, half surrogate pairs, 10 KB strings, shell and SQL metacharacters,
// numbers out of range, values of the wrong type).
import fc from "fast-check";
import { z } from "zod";

/** What the world under test holds: names and IDs by kind of resource, addresses, CIDRs, passwords. */
export type World = {
  projects: string[];
  networks: string[];
  subnets: string[];
  ports: string[];
  routers: string[];
  servers: string[];
  /** IDs and addresses. */
  floatingIps: string[];
  users: string[];
  tokens: string[];
  /** IPv4 addresses, in and out of the world's subnets and pools. */
  addresses: string[];
  cidrs: string[];
  passwords: string[];
};

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  pattern?: string;
};

export const hostileStrings = [
  "",
  " ",
  "\u0000",
  "net\u0000work",
  "\u001b[31mred\u001b[0m",
  "\u001b]0;title\u0007",
  "line\r\nbreak",
  "tab\there",
  "del\u007f",
  "csi\u009b2J",
  "x".repeat(10 * 1024),
  "ß".repeat(10 * 1024),
  "\u202eexe.txt",
  "שלום עולם",
  "مرحبا",
  "🙂",
  "👩‍👩‍👧‍👦",
  "e\u0301\u0301\u0301",
  "\ufeffbom",
  "zero\u200bwidth",
  "lone\ud800surrogate",
  "\udc00",
  ";$(reboot)",
  "`reboot`",
  "| rm -rf /",
  "' OR 1=1 --",
  "'; DROP TABLE networks; --",
  '"',
  "\\",
  "../../etc/passwd",
  "%00",
  "%s%s%n",
  "{{7*7}} $HOME",
  "<script>alert(1)</script>",
  "__proto__",
  "constructor",
  "00000000-0000-0000-0000-000000000000",
  "------------------------------------",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
  "NaN",
  "-1",
  "1e308",
  "999.999.999.999",
  "10.0.0.0/33",
  "10.0.0.0/-1",
  "1.2.3.4/0",
  "0.0.0.0/0",
  "012.0.0.0/8",
  "0xa000000/8",
  "167772160/8",
  "10.0.0.0/08",
  "::1",
  "fe80::1%eth0",
  "0.0.0.0",
  "255.255.255.255",
];

const hostileNumbers = [
  -1,
  -0,
  0.5,
  1e308,
  -1e308,
  2 ** 31,
  2 ** 31 - 1,
  2 ** 53,
  Number.MAX_SAFE_INTEGER + 2,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

/** Values of the wrong type for any field (undefined: a required field left out). */
const wrongTypes: unknown[] = [undefined, null, true, 0, "1", [], {}, [null], { 0: 1 }, 10n];

const hostile = fc.constantFrom(...hostileStrings);

/** One control character: C0 (NUL included), DEL or C1. */
const controlCharacter = fc
  .oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f }))
  .map((code) => String.fromCharCode(code));

/** IDs that are no one's: valid UUIDs, and strings of a UUID's length and letters that are none. */
const idShaped = fc.oneof(
  fc.uuid(),
  fc.stringMatching(/^[0-9a-f-]{36}$/),
  fc.stringMatching(/^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/),
);

/** Where a field sits: the procedure ("network.update") and the field's name (Neutron's names tell a lot). */
type Field = { path: string; key: string };

const isRef = ({ key }: Field) => /^(id|user|username|project|from|to)$|_id$/.test(key);

/** The world's values for a field. */
function worldValues({ path, key }: Field, w: World): string[] {
  if (/(^|_)(ip_address|gateway_ip|start|end|nexthop|dns_nameservers)$/.test(key)) return w.addresses;
  if (key === "cidr" || key === "destination") return w.cidrs;
  if (key === "password") return w.passwords;
  const everything = [
    ...w.projects,
    ...w.networks,
    ...w.subnets,
    ...w.ports,
    ...w.routers,
    ...w.servers,
    ...w.floatingIps,
    ...w.users,
  ];
  switch (key) {
    case "project":
    case "project_id":
      return w.projects;
    case "network_id":
    case "floating_network_id":
      return w.networks;
    case "subnet_id":
      return w.subnets;
    case "port_id":
    case "device_id":
      return [...w.ports, ...w.routers, ...w.servers];
    case "user":
    case "username":
      return w.users;
    case "from":
    case "to":
      return [...w.servers, ...w.floatingIps, ...w.routers, ...w.addresses];
    // A name: fresh ones succeed, the world's own collide.
    case "name":
      return ["fuzz-a", "fuzz b", "ネット", ...everything];
    case "id": {
      const byResource: Record<string, string[]> = {
        user: w.users,
        token: w.tokens,
        project: w.projects,
        network: w.networks,
        subnet: w.subnets,
        port: w.ports,
        router: w.routers,
        floatingIp: w.floatingIps,
        server: w.servers,
      };
      return byResource[path.split(".")[0] ?? ""] ?? everything;
    }
    default:
      return [];
  }
}

/**
 * A string of the schema's own shape: its pattern, or any text within its lengths; printable, as the schemas
 * of names want (a pattern's negated class, such as [^/], admits control characters).
 */
function shapedString(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const text = schema.pattern
    ? fc.stringMatching(new RegExp(schema.pattern), { maxLength: 40 })
    : fc.string({ minLength, maxLength: Math.max(minLength, Math.min(schema.maxLength ?? 40, 40)) });
  return text.filter((s) => !/[\p{Cc}\p{Cs}]/u.test(s));
}

function goodString(schema: JsonSchema, field: Field, w: World): fc.Arbitrary<string> {
  const known = worldValues(field, w);
  if (known.length === 0) return shapedString(schema);
  return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...known) }, shapedString(schema));
}

function badString(schema: JsonSchema, field: Field, w: World): fc.Arbitrary<string> {
  return fc.oneof(
    hostile,
    fc.string({ maxLength: 40, unit: "binary" }),
    ...(isRef(field) ? [idShaped] : []),
    // A value that would do, spoilt by a control character or a hostile part somewhere in it.
    fc
      .tuple(goodString(schema, field, w), fc.oneof(controlCharacter, hostile), fc.nat())
      .map(([value, bad, at]) => {
        const i = at % (value.length + 1);
        return value.slice(0, i) + bad + value.slice(i);
      }),
  );
}

function goodNumber(schema: JsonSchema): fc.Arbitrary<number> {
  const min = schema.minimum ?? -(2 ** 31);
  const max = Math.min(schema.maximum ?? 2 ** 31, Number.MAX_SAFE_INTEGER);
  return schema.type === "integer" ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true });
}

function badNumber(schema: JsonSchema): fc.Arbitrary<number> {
  const min = schema.minimum ?? -(2 ** 31);
  const max = Math.min(schema.maximum ?? 2 ** 31, Number.MAX_SAFE_INTEGER);
  return fc.constantFrom(min - 1, max + 1, ...hostileNumbers);
}

type Mode = "good" | "any";

/** A value of the schema's shape; in "any" mode its parts may be hostile or of the wrong type. */
function shaped(schema: JsonSchema, field: Field, w: World, mode: Mode): fc.Arbitrary<unknown> {
  const part = (s: JsonSchema, key = field.key) => value(s, { path: field.path, key }, w, mode);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => part(s)));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) {
    const listed = fc.constantFrom(...schema.enum);
    return mode === "good" ? listed : fc.oneof({ weight: 4, arbitrary: listed }, hostile);
  }
  if (Array.isArray(schema.type))
    return fc.oneof(...schema.type.map((type) => shaped({ ...schema, type }, field, w, mode)));
  switch (schema.type) {
    case "object":
      return fc.record(
        Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, s]) => [key, part(s, key)])),
        { requiredKeys: schema.required ?? [] },
      );
    case "array": {
      const limit = schema.maxItems ?? 3;
      // In "any" mode one past the schema's limit, to see it refused.
      return fc.array(part(schema.items ?? {}), { maxLength: mode === "good" ? limit : limit + 1 });
    }
    case "string":
      return mode === "good"
        ? goodString(schema, field, w)
        : fc.oneof({ weight: 2, arbitrary: goodString(schema, field, w) }, badString(schema, field, w));
    case "integer":
    case "number":
      return mode === "good"
        ? goodNumber(schema)
        : fc.oneof({ weight: 2, arbitrary: goodNumber(schema) }, badNumber(schema));
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    default:
      return fc.anything({ maxDepth: 2 });
  }
}

function value(schema: JsonSchema, field: Field, w: World, mode: Mode): fc.Arbitrary<unknown> {
  if (mode === "good") return shaped(schema, field, w, mode);
  return fc.oneof({ weight: 8, arbitrary: shaped(schema, field, w, mode) }, fc.constantFrom(...wrongTypes));
}

/** A good object with one of its fields replaced by anything at all. */
function oneFieldSpoilt(schema: JsonSchema, path: string, w: World): fc.Arbitrary<unknown> | undefined {
  const properties = Object.entries(schema.properties ?? {});
  if (schema.type !== "object" || properties.length === 0) return undefined;
  return fc
    .tuple(
      shaped(schema, { path, key: "" }, w, "good"),
      fc.oneof(
        ...properties.map(([key, s]) =>
          fc.tuple(
            fc.constant(key),
            fc.oneof(badString(s, { path, key }, w), value(s, { path, key }, w, "any")),
          ),
        ),
      ),
    )
    .map(([good, [key, bad]]) => ({ ...(good as object), [key]: bad }));
}

/** Inputs for the procedure at `path`, whose input schema is `schema` (none: it takes no input). */
export function inputArbitrary(path: string, schema: z.ZodType | undefined, w: World): fc.Arbitrary<unknown> {
  if (!schema) return fc.constantFrom(...wrongTypes);
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const field = { path, key: "" };
  const spoilt = oneFieldSpoilt(json, path, w);
  return fc.oneof(
    { weight: 4, arbitrary: shaped(json, field, w, "good") },
    ...(spoilt ? [{ weight: 3, arbitrary: spoilt }] : []),
    { weight: 2, arbitrary: shaped(json, field, w, "any") },
    fc.constantFrom(...wrongTypes),
  );
}
