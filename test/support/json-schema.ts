/**
 * A small JSON Schema validator: the draft-04/draft-07 keywords the SARIF 2.1.0 schema uses
 * ($ref into #/definitions, type, properties, additionalProperties, required, enum, items,
 * minItems, uniqueItems, minimum, maximum, pattern, anyOf, oneOf, allOf, not, const). `format` is
 * not checked. No validator package is installed; this is enough to reject SARIF that a
 * code-scanning upload would reject for its structure. Returns the errors (empty = valid).
 */

type Schema = Record<string, unknown> | boolean;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      throw new Error(`unsupported schema type ${type}`);
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value))
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

const SUPPORTED = new Set([
  '$schema',
  'id',
  '$id',
  'title',
  'description',
  'default',
  'definitions',
  'format',
  '$ref',
  'type',
  'properties',
  'additionalProperties',
  'required',
  'enum',
  'const',
  'items',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minimum',
  'maximum',
  'minLength',
  'pattern',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
]);

export function validate(root: Schema, instance: unknown): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): Schema => {
    if (!ref.startsWith('#/')) throw new Error(`only local $ref is supported: ${ref}`);
    let node: unknown = root;
    for (const part of ref.slice(2).split('/'))
      node = isObject(node) ? node[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    if (node === undefined) throw new Error(`$ref ${ref} does not resolve`);
    return node as Schema;
  };

  const check = (schema: Schema, value: unknown, path: string, out: string[]): void => {
    if (schema === true) return;
    if (schema === false) {
      out.push(`${path}: not allowed`);
      return;
    }
    for (const keyword of Object.keys(schema))
      if (!SUPPORTED.has(keyword)) throw new Error(`unsupported schema keyword ${keyword} at ${path}`);
    if (typeof schema.$ref === 'string') {
      check(resolve(schema.$ref), value, path, out);
      return; // draft-04/07: siblings of $ref are ignored
    }
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
      if (!types.some((type) => typeMatches(type, value))) {
        out.push(
          `${path}: expected ${types.join(' or ')}, got ${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value}`,
        );
        return;
      }
    }
    if (Array.isArray(schema.enum) && !schema.enum.some((option) => canonical(option) === canonical(value)))
      out.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
    if (schema.const !== undefined && canonical(schema.const) !== canonical(value))
      out.push(`${path}: must be ${JSON.stringify(schema.const)}`);
    if (typeof value === 'string') {
      if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
        out.push(`${path}: does not match ${schema.pattern}`);
      if (typeof schema.minLength === 'number' && value.length < schema.minLength)
        out.push(`${path}: shorter than ${schema.minLength}`);
    }
    if (typeof value === 'number') {
      if (typeof schema.minimum === 'number' && value < schema.minimum)
        out.push(`${path}: below ${schema.minimum}`);
      if (typeof schema.maximum === 'number' && value > schema.maximum)
        out.push(`${path}: above ${schema.maximum}`);
    }
    if (Array.isArray(value)) {
      if (typeof schema.minItems === 'number' && value.length < schema.minItems)
        out.push(`${path}: fewer than ${schema.minItems} items`);
      if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
        out.push(`${path}: more than ${schema.maxItems} items`);
      if (schema.uniqueItems === true && new Set(value.map(canonical)).size !== value.length)
        out.push(`${path}: items are not unique`);
      if (schema.items !== undefined) {
        if (Array.isArray(schema.items))
          (schema.items as Schema[]).forEach((item, index) => {
            if (index < value.length) check(item, value[index], `${path}[${index}]`, out);
          });
        else {
          const items = schema.items as Schema;
          value.forEach((item, index) => {
            check(items, item, `${path}[${index}]`, out);
          });
        }
      }
    }
    if (isObject(value)) {
      const properties = isObject(schema.properties) ? (schema.properties as Record<string, Schema>) : {};
      if (Array.isArray(schema.required))
        for (const name of schema.required as string[])
          if (!Object.hasOwn(value, name)) out.push(`${path}: missing required property ${name}`);
      for (const [name, item] of Object.entries(value)) {
        if (Object.hasOwn(properties, name)) check(properties[name] as Schema, item, `${path}.${name}`, out);
        else if (schema.additionalProperties === false) out.push(`${path}: property ${name} is not allowed`);
        else if (isObject(schema.additionalProperties))
          check(schema.additionalProperties, item, `${path}.${name}`, out);
      }
    }
    const matching = (options: Schema[]) =>
      options.map((option) => {
        const sub: string[] = [];
        check(option, value, path, sub);
        return sub;
      });
    if (Array.isArray(schema.anyOf)) {
      const results = matching(schema.anyOf as Schema[]);
      if (!results.some((sub) => sub.length === 0))
        out.push(`${path}: matches none of anyOf (${results.map((sub) => sub[0]).join(' | ')})`);
    }
    if (Array.isArray(schema.oneOf)) {
      const passing = matching(schema.oneOf as Schema[]).filter((sub) => sub.length === 0).length;
      if (passing !== 1) out.push(`${path}: matches ${passing} of oneOf, expected exactly 1`);
    }
    if (Array.isArray(schema.allOf))
      for (const option of schema.allOf as Schema[]) check(option, value, path, out);
    if (schema.not !== undefined) {
      const sub: string[] = [];
      check(schema.not as Schema, value, path, sub);
      if (sub.length === 0) out.push(`${path}: must not match a schema`);
    }
  };

  check(root, instance, '$', errors);
  return errors;
}
