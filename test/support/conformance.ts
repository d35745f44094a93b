/**
 * Checks a raw ARM response body against what the SDK packages generated from the official
 * REST API specifications say it may contain. Two generators, two checkers:
 *
 * - @azure/arm-network (AutoRest): `models/mappers.js` carries the serializer metadata of every
 *   model: serialized names (flattened `properties.x` included), types, enums, `required`.
 *   `mapperProblems` walks a body against a mapper strictly: every key must be declared, every
 *   value must have the declared type, every required property must be present.
 * - @azure/arm-storage 20 (TypeSpec): no runtime metadata, only hand-shaped deserializers that
 *   read exactly the properties the spec declares. `deserializerProblems` runs one over a
 *   recording proxy of the body: a key the deserializer never reads is not in the spec, and a
 *   date it cannot parse is malformed. Types beyond dates are not known at runtime there.
 *
 * The SDKs' own dist files are not in their `exports` map, so they are loaded by file path.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

function packageDist(pkg: string): string {
  // resolves to dist/commonjs/index.js; the ESM build sits beside it
  return join(dirname(dirname(require.resolve(pkg))), 'esm');
}

// ---- AutoRest mappers ------------------------------------------------------------------------

export interface MapperType {
  name: string;
  className?: string;
  modelProperties?: Record<string, Mapper>;
  element?: Mapper;
  value?: Mapper;
  allowedValues?: unknown[];
}

export interface Mapper {
  serializedName?: string;
  required?: boolean;
  readOnly?: boolean;
  type: MapperType;
}

export type Mappers = Record<string, Mapper>;

export async function networkMappers(): Promise<Mappers> {
  const file = join(packageDist('@azure/arm-network'), 'models', 'mappers.js');
  return (await import(pathToFileURL(file).href)) as Mappers;
}

interface Tree {
  [key: string]: Mapper | Tree;
}

function isMapper(node: Mapper | Tree): node is Mapper {
  return typeof (node as Mapper).type === 'object' && typeof (node as Mapper).type?.name === 'string';
}

/** The expected JSON shape of a composite: `properties.x` serialized names become nested keys. */
function shapeOf(modelProperties: Record<string, Mapper>): Tree {
  const tree: Tree = {};
  for (const mapper of Object.values(modelProperties)) {
    if (!mapper.serializedName) continue;
    const parts = mapper.serializedName.split(/(?<!\\)\./).map((part) => part.replace(/\\\./g, '.'));
    let node = tree;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (next === undefined || isMapper(next)) node[part] = {};
      node = node[part] as Tree;
    }
    node[parts.at(-1) as string] = mapper;
  }
  return tree;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every way `body` departs from `className` in `mappers` (empty: conforms). */
export function mapperProblems(mappers: Mappers, className: string, body: unknown, path = '$'): string[] {
  const problems: string[] = [];
  const composite = (value: unknown, name: string, at: string) => {
    const mapper = mappers[name];
    if (!mapper?.type.modelProperties) {
      problems.push(`${at}: no mapper for ${name}`);
      return;
    }
    if (!isObject(value)) {
      problems.push(`${at}: expected an object (${name}), got ${JSON.stringify(value)}`);
      return;
    }
    walk(value, shapeOf(mapper.type.modelProperties), at, name);
  };
  const walk = (value: Record<string, unknown>, tree: Tree, at: string, model: string) => {
    for (const [key, child] of Object.entries(value)) {
      const expected = tree[key];
      if (expected === undefined) problems.push(`${at}.${key}: not a property of ${model}`);
      else if (isMapper(expected)) check(child, expected, `${at}.${key}`);
      else if (!isObject(child)) problems.push(`${at}.${key}: expected an object`);
      else walk(child, expected, `${at}.${key}`, model);
    }
    for (const [key, expected] of Object.entries(tree)) {
      if (isMapper(expected) && expected.required && value[key] === undefined)
        problems.push(`${at}.${key}: required by ${model}, missing`);
    }
  };
  const check = (value: unknown, mapper: Mapper, at: string) => {
    if (value === null || value === undefined) return;
    const type = mapper.type;
    switch (type.name) {
      case 'String':
        if (typeof value !== 'string')
          problems.push(`${at}: expected a string, got ${JSON.stringify(value)}`);
        break;
      case 'Number':
        if (typeof value !== 'number')
          problems.push(`${at}: expected a number, got ${JSON.stringify(value)}`);
        break;
      case 'Boolean':
        if (typeof value !== 'boolean')
          problems.push(`${at}: expected a boolean, got ${JSON.stringify(value)}`);
        break;
      case 'Uuid':
        if (typeof value !== 'string' || !/^[0-9a-f-]{36}$/i.test(value))
          problems.push(`${at}: expected a uuid`);
        break;
      case 'Date':
      case 'DateTime':
      case 'DateTimeRfc1123':
        if (typeof value !== 'string' || Number.isNaN(Date.parse(value)))
          problems.push(`${at}: expected a date, got ${JSON.stringify(value)}`);
        break;
      case 'Enum':
        if (
          !type.allowedValues?.some(
            (allowed) => String(allowed).toLowerCase() === String(value).toLowerCase(),
          )
        )
          problems.push(
            `${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(type.allowedValues)}`,
          );
        break;
      case 'Sequence':
        if (!Array.isArray(value)) problems.push(`${at}: expected an array`);
        else if (type.element) {
          const element = type.element;
          for (const [i, item] of value.entries()) check(item, element, `${at}[${i}]`);
        }
        break;
      case 'Dictionary':
        if (!isObject(value)) problems.push(`${at}: expected an object (dictionary)`);
        else if (type.value)
          for (const [key, item] of Object.entries(value)) check(item, type.value, `${at}.${key}`);
        break;
      case 'Composite':
        if (type.modelProperties && !type.className) {
          if (!isObject(value)) problems.push(`${at}: expected an object`);
          else walk(value, shapeOf(type.modelProperties), at, 'inline model');
        } else composite(value, type.className ?? '', at);
        break;
      default:
        break; // Object / any: free-form
    }
  };
  composite(body, className, path);
  return problems;
}

// ---- TypeSpec deserializers ------------------------------------------------------------------

export type Deserializer = (item: unknown) => unknown;

export async function storageDeserializers(): Promise<Record<string, Deserializer>> {
  const file = join(packageDist('@azure/arm-storage'), 'models', 'models.js');
  return (await import(pathToFileURL(file).href)) as Record<string, Deserializer>;
}

/** Paths in `value` (array indices as []), objects included. */
function pathsOf(value: unknown, at: string, out: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) pathsOf(item, `${at}[]`, out);
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      out.add(`${at}.${key}`);
      pathsOf(child, `${at}.${key}`, out);
    }
  }
  return out;
}

/** A view of `value` that records the path of every own property read through it. */
function recording(value: unknown, at: string, read: Set<string>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return new Proxy(value, {
    get(target, key, receiver) {
      const result = Reflect.get(target, key, receiver);
      if (typeof key !== 'string' || !Object.hasOwn(target, key)) return result;
      if (Array.isArray(target)) {
        if (!/^\d+$/.test(key)) return result;
        return recording(result, `${at}[]`, read);
      }
      read.add(`${at}.${key}`);
      return recording(result, `${at}.${key}`, read);
    },
  });
}

function invalidDates(value: unknown, at: string, out: string[]): string[] {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) out.push(`${at}: not a valid date`);
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) invalidDates(item, `${at}[${i}]`, out);
  } else if (isObject(value))
    for (const [key, child] of Object.entries(value)) invalidDates(child, `${at}.${key}`, out);
  return out;
}

/** Keys of `body` the spec-generated deserializer does not know, and dates it cannot parse. */
export function deserializerProblems(deserialize: Deserializer, body: unknown): string[] {
  const read = new Set<string>();
  const result = deserialize(recording(body, '$', read));
  const all = [...pathsOf(body, '$', new Set())];
  const unknown = all.filter((path) => !read.has(path));
  // report an undeclared object once, not each of its children
  const top = unknown.filter(
    (path) =>
      !unknown.some(
        (other) => (other !== path && path.startsWith(`${other}.`)) || path.startsWith(`${other}[]`),
      ),
  );
  return [...top.map((path) => `${path}: not in the spec's model`), ...invalidDates(result, '$', [])];
}
