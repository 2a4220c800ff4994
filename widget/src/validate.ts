/**
 * Checks a function call's arguments against the JSON Schema the page declared, before
 * the page's handler runs.
 *
 * A small checker for the part of JSON Schema that function parameters use (what
 * OpenAI's tool schemas and pydantic produce): type, enum, const, properties,
 * required, additionalProperties, items, min/max (length, items, value, exclusive),
 * pattern, anyOf / oneOf / allOf, and local $ref (#/$defs/…, #/definitions/…).
 * Other keywords are ignored. The server has already checked the arguments with the
 * full `jsonschema` package (all but `pattern`, which only runs here); this second check
 * keeps the page safe whatever the server sends. About 1 KB gzip, where a complete
 * validator costs 7 KB (@cfworker/json-schema) to 35 KB (ajv, which also needs
 * `new Function`, refused by strict Content-Security-Policies).
 */

type Schema = Record<string, unknown> | boolean;

const MAX_DEPTH = 32;

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function fits(type: string, value: unknown): boolean {
  const actual = typeOf(value);
  return type === actual || (type === "number" && actual === "integer");
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function resolve(root: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith("#")) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split("/").filter(Boolean)) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!node || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node as Schema | undefined;
}

const show = (value: unknown) => (typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value)));

/** Problems with `value` under `schema`, each as `path: what is wrong` (none: valid). */
export function checkArgs(schema: unknown, value: unknown): string[] {
  const problems: string[] = [];
  const root = (schema && typeof schema === "object") || typeof schema === "boolean" ? (schema as Schema) : {};
  visit(root, root, value, "", problems, 0);
  return problems.slice(0, 5);
}

function visit(root: Schema, schema: Schema, value: unknown, path: string, out: string[], depth: number): void {
  const at = path || "(arguments)";
  if (schema === true || depth > MAX_DEPTH) return;
  if (schema === false) {
    out.push(`${at}: not allowed`);
    return;
  }
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === "string") {
    const target = resolve(root, s.$ref);
    if (target !== undefined) visit(root, target, value, path, out, depth + 1);
  }
  const types = typeof s.type === "string" ? [s.type] : Array.isArray(s.type) ? (s.type as string[]) : null;
  if (types && !types.some((t) => fits(t, value))) {
    out.push(`${at}: expected ${types.join(" or ")}, got ${typeOf(value)}`);
    return;
  }
  if (Array.isArray(s.enum) && !s.enum.some((option) => equal(option, value))) {
    out.push(`${at}: must be one of ${s.enum.map(show).join(", ")}`);
  }
  if ("const" in s && !equal(s.const, value)) out.push(`${at}: must be ${show(s.const)}`);
  for (const [keyword, options] of [["anyOf", s.anyOf], ["oneOf", s.oneOf]] as const) {
    if (!Array.isArray(options)) continue;
    const matching = options.filter((option: Schema) => {
      const inner: string[] = [];
      visit(root, option, value, path, inner, depth + 1);
      return inner.length === 0;
    }).length;
    if (keyword === "anyOf" ? matching === 0 : matching !== 1) out.push(`${at}: matches none of the allowed forms`);
  }
  if (Array.isArray(s.allOf)) for (const part of s.allOf as Schema[]) visit(root, part, value, path, out, depth + 1);

  if (typeof value === "string") {
    const length = [...value].length;
    if (typeof s.minLength === "number" && length < s.minLength) out.push(`${at}: shorter than ${s.minLength} characters`);
    if (typeof s.maxLength === "number" && length > s.maxLength) out.push(`${at}: longer than ${s.maxLength} characters`);
    if (typeof s.pattern === "string") {
      let ok = true;
      try {
        ok = new RegExp(s.pattern, "u").test(value);
      } catch {
        /* a pattern this browser cannot read: not checked */
      }
      if (!ok) out.push(`${at}: does not match ${s.pattern}`);
    }
  } else if (typeof value === "number") {
    if (typeof s.minimum === "number" && value < s.minimum) out.push(`${at}: less than ${s.minimum}`);
    if (typeof s.maximum === "number" && value > s.maximum) out.push(`${at}: more than ${s.maximum}`);
    if (typeof s.exclusiveMinimum === "number" && value <= s.exclusiveMinimum) out.push(`${at}: not more than ${s.exclusiveMinimum}`);
    if (typeof s.exclusiveMaximum === "number" && value >= s.exclusiveMaximum) out.push(`${at}: not less than ${s.exclusiveMaximum}`);
  } else if (Array.isArray(value)) {
    if (typeof s.minItems === "number" && value.length < s.minItems) out.push(`${at}: fewer than ${s.minItems} items`);
    if (typeof s.maxItems === "number" && value.length > s.maxItems) out.push(`${at}: more than ${s.maxItems} items`);
    if (s.items !== undefined && !Array.isArray(s.items)) {
      value.forEach((item, i) => visit(root, s.items as Schema, item, `${path}[${i}]`, out, depth + 1));
    }
  } else if (value && typeof value === "object") {
    const object = value as Record<string, unknown>;
    const properties = (s.properties && typeof s.properties === "object" ? s.properties : {}) as Record<string, Schema>;
    if (Array.isArray(s.required)) {
      for (const name of s.required as string[]) {
        if (!(name in object)) out.push(`${path ? path + "." : ""}${name}: required, but missing`);
      }
    }
    for (const [name, item] of Object.entries(object)) {
      const where = path ? `${path}.${name}` : name;
      if (name in properties) visit(root, properties[name], item, where, out, depth + 1);
      else if (s.additionalProperties === false) out.push(`${where}: not a parameter of this function`);
      else if (s.additionalProperties && typeof s.additionalProperties === "object") {
        visit(root, s.additionalProperties as Schema, item, where, out, depth + 1);
      }
    }
  }
}
