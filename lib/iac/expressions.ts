/**
 * ARM template expressions (`"[parameters('x')]"`): a parser and an evaluator for the functions
 * that decide control-relevant values in real templates and in what Bicep emits. Anything that is
 * only known at deployment (reference(), uniqueString(), utcNow(), list*()...) or that this module
 * does not implement evaluates to an `Unresolved`, which the evaluator turns into an `unknown`
 * finding: an expression is never guessed.
 */

export class Unresolved {
  constructor(
    /** why there is no value */
    readonly reason: string,
    /** best-effort text for names and ids, e.g. "{parameters('acct')}/default" */
    readonly text?: string,
    /** the template string it came from, e.g. "[parameters('acct')]" (set by the template reader) */
    readonly expression?: string,
  ) {}
}

export function isUnresolved(value: unknown): value is Unresolved {
  return value instanceof Unresolved;
}

export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

type Node =
  | { kind: 'literal'; value: string | number }
  | { kind: 'call'; name: string; args: Node[]; text: string }
  | { kind: 'member'; target: Node; property: Node };

export interface ExpressionContext {
  parameter(name: string): unknown;
  variable(name: string): unknown;
  /** copyIndex(loopName?) of the enclosing loop; Unresolved outside one */
  copyIndex(loopName: string | undefined): unknown;
  subscriptionId: string;
  resourceGroup: string;
}

/** True for a string ARM evaluates: `[...]` but not the escape `[[...`. */
export function isExpression(value: string): boolean {
  return value.length >= 2 && value.startsWith('[') && value.endsWith(']') && !value.startsWith('[[');
}

/** Evaluates a template string value: an expression, an escaped `[[` literal, or plain text. */
export function evaluateString(value: string, context: ExpressionContext): unknown {
  if (value.startsWith('[[')) return value.slice(1);
  if (!isExpression(value)) return value;
  return evaluate(parse(value.slice(1, -1)), context);
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

const MAX_EXPRESSION = 64 * 1024;

export function parse(source: string): Node {
  if (source.length > MAX_EXPRESSION) throw new ExpressionError('expression is too long');
  let pos = 0;
  const skip = () => {
    while (pos < source.length && /\s/.test(source[pos] as string)) pos++;
  };
  const fail = (what: string): never => {
    throw new ExpressionError(`${what} at position ${pos} of [${source.slice(0, 120)}]`);
  };
  const expect = (char: string) => {
    skip();
    if (source[pos] !== char) fail(`expected '${char}'`);
    pos++;
  };

  function primary(depth: number): Node {
    if (depth > 64) fail('expression nests too deeply');
    skip();
    const char = source[pos];
    if (char === "'") {
      let value = '';
      pos++;
      for (;;) {
        if (pos >= source.length) fail('unterminated string');
        const c = source[pos] as string;
        if (c === "'") {
          if (source[pos + 1] === "'") {
            value += "'";
            pos += 2;
            continue;
          }
          pos++;
          break;
        }
        value += c;
        pos++;
      }
      return { kind: 'literal', value };
    }
    const number = /^-?\d+(\.\d+)?/.exec(source.slice(pos));
    if (number) {
      pos += number[0].length;
      return { kind: 'literal', value: Number(number[0]) };
    }
    const name = /^[A-Za-z_][\w.]*/.exec(source.slice(pos));
    if (!name) return fail('expected a function call, string or number');
    const start = pos;
    pos += name[0].length;
    expect('(');
    const args: Node[] = [];
    skip();
    if (source[pos] === ')') pos++;
    else {
      for (;;) {
        args.push(expression(depth + 1));
        skip();
        if (source[pos] === ',') {
          pos++;
          continue;
        }
        expect(')');
        break;
      }
    }
    return { kind: 'call', name: name[0].toLowerCase(), args, text: source.slice(start, pos) };
  }

  function expression(depth: number): Node {
    let node = primary(depth);
    for (;;) {
      skip();
      if (source[pos] === '.') {
        pos++;
        skip();
        const name = /^[A-Za-z_$][\w$]*/.exec(source.slice(pos));
        if (!name) fail('expected a property name');
        pos += (name as RegExpExecArray)[0].length;
        node = {
          kind: 'member',
          target: node,
          property: { kind: 'literal', value: (name as RegExpExecArray)[0] },
        };
      } else if (source[pos] === '[') {
        pos++;
        const property = expression(depth + 1);
        expect(']');
        node = { kind: 'member', target: node, property };
      } else return node;
    }
  }

  const node = expression(0);
  skip();
  if (pos !== source.length) fail('unexpected text');
  return node;
}

// ---------------------------------------------------------------------------------------------
// Evaluator
// ---------------------------------------------------------------------------------------------

type Fn = (args: unknown[], context: ExpressionContext) => unknown;

const DEPLOY_TIME = new Set([
  'reference',
  'uniquestring',
  'guid',
  'newguid',
  'utcnow',
  'deployment',
  'environment',
  'tenant',
  'managementgroup',
  'pickzones',
  'listkeys',
  'listaccountsas',
  'listsecrets',
  'extensionresourceid',
  'managementgroupresourceid',
  'datauri',
  'base64',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isUnresolved(value);
}

/** Text of a value inside a name or id: known text, or `{expression}` for an unresolved part. */
function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isUnresolved(value)) return value.text ?? null;
  return null;
}

function firstUnresolved(values: readonly unknown[]): Unresolved | undefined {
  return values.find(isUnresolved) as Unresolved | undefined;
}

/** When a string function meets an unresolved argument, keep the readable text of what is known. */
function partialText(args: readonly unknown[], join: (parts: string[]) => string): Unresolved {
  const cause = firstUnresolved(args) as Unresolved;
  const parts = args.map(textOf);
  return new Unresolved(
    cause.reason,
    parts.every((part) => part !== null) ? join(parts as string[]) : undefined,
  );
}

function str(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new ExpressionError(`${what} expects a string`);
  return value;
}

function equal(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return JSON.stringify(a) === JSON.stringify(b);
}

/** resourceId([subscriptionId], [resourceGroupName], type, name1, name2, ...) */
function resourceIdOf(
  args: unknown[],
  context: ExpressionContext,
  level: 'group' | 'subscription' | 'tenant',
): unknown {
  const typeAt = args.findIndex(
    (arg) => typeof arg === 'string' && /^[\w.]+\/\w/.test(arg) && arg.includes('.'),
  );
  if (typeAt < 0) {
    if (firstUnresolved(args)) return partialText(args, (parts) => parts.join('/'));
    throw new ExpressionError('resourceId expects a resource type');
  }
  const scopeArgs = args.slice(0, typeAt);
  const type = args[typeAt] as string;
  const names = args.slice(typeAt + 1);
  let subscription: unknown = context.subscriptionId;
  let group: unknown = context.resourceGroup;
  if (level === 'group' && scopeArgs.length === 1) group = scopeArgs[0];
  if (level === 'group' && scopeArgs.length >= 2) [subscription, group] = scopeArgs;
  if (level === 'subscription' && scopeArgs.length >= 1) subscription = scopeArgs[0];
  const [namespace, ...typeSegments] = type.split('/');
  const parts: unknown[] = [];
  if (level !== 'tenant') parts.push('subscriptions', subscription);
  if (level === 'group') parts.push('resourceGroups', group);
  parts.push('providers', namespace);
  typeSegments.forEach((segment, index) => {
    parts.push(segment, names[index] ?? '');
  });
  if (firstUnresolved(parts)) return partialText(parts, (texts) => `/${texts.join('/')}`);
  return `/${parts.map(String).join('/')}`;
}

function formatString(args: unknown[]): unknown {
  if (firstUnresolved(args)) {
    const [fmt, ...rest] = args;
    if (typeof fmt !== 'string') return firstUnresolved(args);
    const texts = rest.map(textOf);
    const cause = firstUnresolved(args) as Unresolved;
    let ok = true;
    const text = fmt.replace(/\{(\d+)(:[^}]*)?\}/g, (_, index: string) => {
      const part = texts[Number(index)];
      if (part === null || part === undefined) ok = false;
      return part ?? '';
    });
    return new Unresolved(cause.reason, ok ? text : undefined);
  }
  const [fmt, ...rest] = args;
  return str(fmt, 'format').replace(/\{(\d+)(:[^}]*)?\}/g, (match, index: string) => {
    const value = rest[Number(index)];
    return value === undefined ? match : typeof value === 'string' ? value : JSON.stringify(value);
  });
}

const FUNCTIONS: Record<string, Fn> = {
  parameters: ([name], context) => context.parameter(str(name, 'parameters')),
  variables: ([name], context) => context.variable(str(name, 'variables')),
  copyindex: (args, context) => {
    const [first, second] = args;
    const loop = typeof first === 'string' ? first : undefined;
    const offset = typeof first === 'number' ? first : typeof second === 'number' ? second : 0;
    const index = context.copyIndex(loop);
    return typeof index === 'number' ? index + offset : index;
  },
  concat: (args) => {
    if (args.some(Array.isArray)) return args.flatMap((arg) => (Array.isArray(arg) ? arg : [arg]));
    if (firstUnresolved(args)) return partialText(args, (parts) => parts.join(''));
    return args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join('');
  },
  format: formatString,
  resourceid: (args, context) => resourceIdOf(args, context, 'group'),
  subscriptionresourceid: (args, context) => resourceIdOf(args, context, 'subscription'),
  tenantresourceid: (args, context) => resourceIdOf(args, context, 'tenant'),
  subscription: (_, context) => ({
    subscriptionId: context.subscriptionId,
    id: `/subscriptions/${context.subscriptionId}`,
  }),
  resourcegroup: (_, context) => ({
    name: context.resourceGroup,
    id: `/subscriptions/${context.subscriptionId}/resourceGroups/${context.resourceGroup}`,
    location: new Unresolved('the resource group location is known only at deployment'),
  }),
  tolower: ([value]) => str(value, 'toLower').toLowerCase(),
  toupper: ([value]) => str(value, 'toUpper').toUpperCase(),
  trim: ([value]) => str(value, 'trim').trim(),
  string: ([value]) => (typeof value === 'string' ? value : JSON.stringify(value)),
  int: ([value]) => Math.trunc(Number(value)),
  bool: ([value]) => (typeof value === 'string' ? value.toLowerCase() === 'true' : Boolean(value)),
  json: ([value]) => {
    try {
      return JSON.parse(str(value, 'json'));
    } catch {
      throw new ExpressionError('json() of text that is not JSON');
    }
  },
  true: () => true,
  false: () => false,
  null: () => null,
  equals: ([a, b]) => equal(a, b),
  not: ([value]) => !value,
  and: (args) => args.every(Boolean),
  or: (args) => args.some(Boolean),
  greater: ([a, b]) => (a as number) > (b as number),
  less: ([a, b]) => (a as number) < (b as number),
  greaterorequals: ([a, b]) => (a as number) >= (b as number),
  lessorequals: ([a, b]) => (a as number) <= (b as number),
  add: ([a, b]) => (a as number) + (b as number),
  sub: ([a, b]) => (a as number) - (b as number),
  mul: ([a, b]) => (a as number) * (b as number),
  div: ([a, b]) => Math.trunc((a as number) / (b as number)),
  mod: ([a, b]) => (a as number) % (b as number),
  min: (args) => Math.min(...(args.flat() as number[])),
  max: (args) => Math.max(...(args.flat() as number[])),
  length: ([value]) =>
    Array.isArray(value) || typeof value === 'string'
      ? value.length
      : isRecord(value)
        ? Object.keys(value).length
        : 0,
  empty: ([value]) =>
    value === null ||
    value === undefined ||
    ((Array.isArray(value) || typeof value === 'string') && value.length === 0) ||
    (isRecord(value) && Object.keys(value).length === 0),
  contains: ([container, item]) => {
    if (typeof container === 'string') return container.toLowerCase().includes(String(item).toLowerCase());
    if (Array.isArray(container)) return container.some((entry) => equal(entry, item));
    if (isRecord(container)) return Object.keys(container).some((key) => equal(key, item));
    return false;
  },
  startswith: ([a, b]) => str(a, 'startsWith').toLowerCase().startsWith(str(b, 'startsWith').toLowerCase()),
  endswith: ([a, b]) => str(a, 'endsWith').toLowerCase().endsWith(str(b, 'endsWith').toLowerCase()),
  replace: ([value, from, to]) => str(value, 'replace').split(str(from, 'replace')).join(str(to, 'replace')),
  split: ([value, separator]) => str(value, 'split').split(str(separator, 'split')),
  join: ([values, separator]) => (values as unknown[]).map(String).join(str(separator, 'join')),
  first: ([value]) =>
    Array.isArray(value) ? value[0] : typeof value === 'string' ? value.slice(0, 1) : null,
  last: ([value]) =>
    Array.isArray(value) ? value.at(-1) : typeof value === 'string' ? value.slice(-1) : null,
  take: ([value, count]) => (value as unknown[] | string).slice(0, count as number),
  skip: ([value, count]) => (value as unknown[] | string).slice(count as number),
  range: ([start, count]) =>
    Array.from({ length: Math.min(count as number, 10_000) }, (_, i) => (start as number) + i),
  createarray: (args) => [...args],
  array: ([value]) => (Array.isArray(value) ? value : [value]),
  createobject: (args) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i + 1 < args.length; i += 2) {
      Object.defineProperty(out, str(args[i], 'createObject'), {
        value: args[i + 1],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  },
  union: (args) => {
    if (args.every(Array.isArray))
      return [...new Set(args.flat().map((v) => JSON.stringify(v)))].map((v) => JSON.parse(v));
    const out: Record<string, unknown> = {};
    for (const arg of args) if (isRecord(arg)) Object.assign(out, arg);
    return out;
  },
  items: ([value]) =>
    isRecord(value) ? Object.entries(value).map(([key, entry]) => ({ key, value: entry })) : [],
};

const MAX_STEPS = 100_000;

/** Evaluates a parsed expression; Unresolved when any value it needs is not known. */
export function evaluate(node: Node, context: ExpressionContext): unknown {
  let steps = 0;
  const visit = (current: Node): unknown => {
    if (++steps > MAX_STEPS) throw new ExpressionError('expression is too complex');
    if (current.kind === 'literal') return current.value;
    if (current.kind === 'member') {
      const target = visit(current.target);
      const property = visit(current.property);
      if (isUnresolved(target)) return target;
      if (isUnresolved(property)) return property;
      if (Array.isArray(target) && typeof property === 'number') return target[property] ?? null;
      if (isRecord(target) && typeof property === 'string') {
        const key = Object.keys(target).find((name) => name.toLowerCase() === property.toLowerCase());
        return key === undefined ? null : target[key];
      }
      throw new ExpressionError(
        `cannot read ${JSON.stringify(property)} of a ${Array.isArray(target) ? 'array' : typeof target}`,
      );
    }
    const { name, args } = current;
    if (name === 'if') {
      const condition = visit(args[0] ?? { kind: 'literal', value: '' });
      if (isUnresolved(condition)) return condition;
      return visit((condition ? args[1] : args[2]) ?? { kind: 'literal', value: '' });
    }
    if (name === 'coalesce') {
      for (const arg of args) {
        const value = visit(arg);
        if (isUnresolved(value)) return value;
        if (value !== null && value !== undefined) return value;
      }
      return null;
    }
    if (DEPLOY_TIME.has(name) || name.startsWith('list')) {
      return new Unresolved(`${current.text} is known only at deployment`, `{${current.text}}`);
    }
    const fn = Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
    if (!fn) return new Unresolved(`function ${name}() is not evaluated by driftwarden`, `{${current.text}}`);
    const values = args.map(visit);
    // String builders keep partial text (for names and ids); everything else needs every argument.
    const keepsPartial = name === 'concat' || name === 'format' || name.endsWith('resourceid');
    if (!keepsPartial && values.some(isUnresolved)) {
      const cause = firstUnresolved(values) as Unresolved;
      return new Unresolved(cause.reason);
    }
    const result = fn(values, context);
    if (isUnresolved(result) && result.text === undefined && (name === 'parameters' || name === 'variables'))
      return new Unresolved(result.reason, `{${current.text}}`);
    return result;
  };
  return visit(node);
}
