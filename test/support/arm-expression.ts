/**
 * Just enough of ARM template expressions (`"[parameters('x').y]"`) for the infra tests to read
 * the compiled template: a parser and a partial evaluator. What can be computed from the
 * template and the given parameters is (variables, parameters, literals, createObject, union,
 * if, format, ...); everything that needs a deployment (reference(), resourceId(), guid(),
 * subscription(), ...) stays an Unresolved value that prints as the expression text.
 */

export type Expr =
  | { kind: 'literal'; value: string | number }
  | { kind: 'call'; name: string; args: Expr[] }
  | { kind: 'property'; target: Expr; name: string }
  | { kind: 'index'; target: Expr; index: Expr };

/** A value only a deployment knows; `text` is its expression, e.g. `reference('identity').outputs.id.value`. */
export class Unresolved {
  constructor(readonly text: string) {}
  toString(): string {
    return `[${this.text}]`;
  }
  toJSON(): string {
    return this.toString();
  }
}

/** True for an ARM expression string (`[...]`, not the `[[` escape of a literal bracket). */
export function isExpression(value: string): boolean {
  return value.startsWith('[') && value.endsWith(']') && !value.startsWith('[[');
}

export function parseExpression(source: string): Expr {
  let i = 0;
  const text = source;
  const fail = (what: string): never => {
    throw new Error(`ARM expression: ${what} at ${i} in ${text}`);
  };
  const skip = () => {
    while (text[i] === ' ') i++;
  };
  const primary = (): Expr => {
    skip();
    const ch = text[i] ?? '';
    if (ch === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) fail('unterminated string');
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          return { kind: 'literal', value };
        }
        value += text[i];
        i++;
      }
    }
    const number = /^-?\d+/.exec(text.slice(i));
    if (number) {
      i += number[0].length;
      return { kind: 'literal', value: Number(number[0]) };
    }
    const name = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i))?.[0];
    if (!name) return fail('expected a value');
    i += name.length;
    skip();
    if (text[i] !== '(') return fail(`expected ( after ${name}`);
    i++;
    const args: Expr[] = [];
    skip();
    if (text[i] === ')') i++;
    else {
      for (;;) {
        args.push(expression());
        skip();
        if (text[i] === ',') i++;
        else if (text[i] === ')') {
          i++;
          break;
        } else fail('expected , or )');
      }
    }
    return { kind: 'call', name, args };
  };
  const expression = (): Expr => {
    let node = primary();
    for (;;) {
      skip();
      if (text[i] === '.') {
        i++;
        const name = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(text.slice(i))?.[0] ?? fail('expected a property name');
        i += name.length;
        node = { kind: 'property', target: node, name };
      } else if (text[i] === '[') {
        i++;
        const index = expression();
        skip();
        if (text[i] !== ']') fail('expected ]');
        i++;
        node = { kind: 'index', target: node, index };
      } else return node;
    }
  };
  const result = expression();
  skip();
  if (i !== text.length) fail('trailing text');
  return result;
}

/** Expression text of a value (for Unresolved results that contain computed arguments). */
function textOf(value: unknown): string {
  if (value instanceof Unresolved) return value.text;
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return `${value}()`;
  if (value === null || value === undefined) return 'null()';
  if (Array.isArray(value)) return `createArray(${value.map(textOf).join(', ')})`;
  const entries = Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [
    textOf(k),
    textOf(v),
  ]);
  return `createObject(${entries.join(', ')})`;
}

function containsUnresolved(value: unknown): boolean {
  if (value instanceof Unresolved) return true;
  if (Array.isArray(value)) return value.some(containsUnresolved);
  if (value && typeof value === 'object') return Object.values(value).some(containsUnresolved);
  return false;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Unresolved);

/** What an expression may read: the template's variables, parameter values, the copy index. */
export interface Scope {
  variables: Record<string, unknown>;
  /** parameter values; a parameter missing here evaluates to Unresolved */
  parameters: Record<string, unknown>;
  copyIndex?: number;
}

/** Functions computed here when their arguments are known (the ones the infra templates use). */
const FUNCTIONS: Record<string, (args: unknown[]) => unknown> = {
  createObject: (args) => {
    const result: Record<string, unknown> = {};
    for (let k = 0; k < args.length; k += 2) result[String(args[k])] = args[k + 1];
    return result;
  },
  createArray: (args) => args,
  union: (args) => (args.every(Array.isArray) ? [...new Set(args.flat())] : Object.assign({}, ...args)),
  empty: ([value]) =>
    value === null ||
    value === '' ||
    (Array.isArray(value) ? value.length === 0 : isObject(value) && Object.keys(value).length === 0),
  not: ([value]) => !value,
  equals: ([a, b]) => JSON.stringify(a) === JSON.stringify(b),
  and: (args) => args.every(Boolean),
  or: (args) => args.some(Boolean),
  true: () => true,
  false: () => false,
  null: () => null,
  string: ([value]) => (typeof value === 'string' ? value : JSON.stringify(value)),
  toLower: ([value]) => String(value).toLowerCase(),
  length: ([value]) =>
    Array.isArray(value) || typeof value === 'string' ? value.length : Object.keys(value as object).length,
  join: ([values, separator]) => (values as unknown[]).join(String(separator)),
  concat: (args) => (args.every(Array.isArray) ? args.flat() : args.join('')),
  format: ([template, ...values]) =>
    String(template).replace(/\{(\d+)\}/g, (_, n: string) => String(values[Number(n)])),
  take: ([value, count]) => (value as string | unknown[]).slice(0, Number(count)),
  range: ([start, count]) => Array.from({ length: Number(count) }, (_, k) => Number(start) + k),
};

export function evaluateExpression(expr: Expr, scope: Scope): unknown {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'property': {
      const target = evaluateExpression(expr.target, scope);
      if (isObject(target) && Object.hasOwn(target, expr.name)) return target[expr.name];
      return new Unresolved(`${textOf(target)}.${expr.name}`);
    }
    case 'index': {
      const target = evaluateExpression(expr.target, scope);
      const index = evaluateExpression(expr.index, scope);
      if (Array.isArray(target) && typeof index === 'number') return target[index];
      if (isObject(target) && typeof index === 'string' && Object.hasOwn(target, index)) return target[index];
      return new Unresolved(`${textOf(target)}[${textOf(index)}]`);
    }
    case 'call':
      return evaluateCall(expr, scope);
  }
}

function evaluateCall(expr: Extract<Expr, { kind: 'call' }>, scope: Scope): unknown {
  const name = expr.name;
  if (name === 'variables' || name === 'parameters') {
    const key = evaluateExpression(expr.args[0] ?? { kind: 'literal', value: '' }, scope);
    const source = name === 'variables' ? scope.variables : scope.parameters;
    if (typeof key === 'string' && Object.hasOwn(source, key)) {
      const value = source[key];
      return name === 'variables' ? evaluateValue(value, scope) : value;
    }
    return new Unresolved(`${name}(${textOf(key)})`);
  }
  if (name === 'copyIndex' && scope.copyIndex !== undefined && expr.args.length === 0) return scope.copyIndex;
  if (name === 'if') {
    const condition = evaluateExpression(expr.args[0] ?? { kind: 'literal', value: 0 }, scope);
    if (typeof condition === 'boolean') {
      const branch = expr.args[condition ? 1 : 2];
      return branch ? evaluateExpression(branch, scope) : null;
    }
  }
  const args = expr.args.map((arg) => evaluateExpression(arg, scope));
  const known = FUNCTIONS[name];
  if (known && computable(name, args)) return known(args);
  return new Unresolved(`${name}(${args.map(textOf).join(', ')})`);
}

/** createObject/createArray/union build values around Unresolved members; the rest need known arguments. */
function computable(name: string, args: unknown[]): boolean {
  if (name === 'createArray') return true;
  if (name === 'createObject') return args.every((arg, k) => k % 2 === 1 || typeof arg === 'string');
  if (name === 'union') return !args.some((arg) => arg instanceof Unresolved);
  return !args.some(containsUnresolved);
}

/** A template value with every expression string in it evaluated (recursively). */
export function evaluateValue(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') {
    if (isExpression(value)) return evaluateExpression(parseExpression(value.slice(1, -1)), scope);
    return value.startsWith('[[') ? value.slice(1) : value;
  }
  if (Array.isArray(value)) return value.map((item) => evaluateValue(item, scope));
  if (isObject(value)) {
    // property names may be expressions too (e.g. a user-assigned identity's resource id)
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [String(evaluateValue(k, scope)), evaluateValue(v, scope)]),
    );
  }
  return value;
}
