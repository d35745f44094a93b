/**
 * Seeded generator of malformed and hostile events (wrong types, missing fields, huge strings,
 * ids with `#?/\\`, prototype-pollution keys). Every event it yields must be rejected.
 */
import { seededRandom } from '../../../lib/dev/random.js';

const SUB = '6f1c2a3b-1111-4c2d-9e8f-0123456789ab';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-portal`;
const ACCOUNT = `${RG}/providers/Microsoft.Storage/storageAccounts/phiportal01`;
const CONTAINER = `${ACCOUNT}/blobServices/default/containers/scans`;
const NSG = `${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-web`;
const RULE = `${NSG}/securityRules/allow-rdp`;
const UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';

function writeEvent(subject: string, operationName: string) {
  return {
    id: 'a5a0b1c2-0000-4000-8000-000000000001',
    topic: `/subscriptions/${SUB}`,
    subject,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: '2026-11-26T10:00:00.000Z',
    data: {
      claims: { [UPN]: 'alice@contoso.example' },
      resourceUri: subject,
      operationName,
      subscriptionId: SUB,
    },
    dataVersion: '2',
  };
}

const WRONG_TYPES: unknown[] = [null, 0, 1, -1, true, false, [], [1, 2], {}, { a: 1 }, Number.NaN, ''];
const BAD_IDS = [
  `${ACCOUNT}#frag`,
  `${ACCOUNT}?api-version=1`,
  `${ACCOUNT}\\..\\x`,
  `${RG}/providers/Microsoft.Storage/storageAccounts/../../x`,
  `/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct1`,
  `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/UPPER`,
  `/subscriptions/${SUB}/resourceGroups//providers/Microsoft.Storage/storageAccounts/acct1`,
  `${NSG}/securityRules/`,
  `${NSG}/securityRules/a/b`,
  `${NSG}/securityRules/bad%2Fname`,
  `${NSG}/securityRules/rule\u0000x`,
  `${NSG}/securityRules/rule\nx`,
  `${RG}/providers/Microsoft.Storage/storageAccounts/${'a'.repeat(25)}`,
  `/subscriptions/${SUB}/resourceGroups/${'r'.repeat(91)}/providers/Microsoft.Network/networkSecurityGroups/n`,
  `${ACCOUNT}/${'x/'.repeat(2000)}y`,
  'subscriptions/x',
  '/',
  'https://management.azure.com' + ACCOUNT,
];

type Mutation = (event: Record<string, unknown>, pick: <T>(items: readonly T[]) => T) => unknown;

const MUTATIONS: Mutation[] = [
  (e, pick) => ({ ...e, id: pick(WRONG_TYPES) }),
  (e) => ({ ...e, id: 'x'.repeat(100_000) }),
  (e) => ({ ...e, id: 'line\nbreak' }),
  (e, pick) => ({ ...e, eventType: pick(WRONG_TYPES) }),
  (e) => ({ ...e, eventType: 'Microsoft.Resources.ResourceActionSuccess' }),
  (e) => ({ ...e, eventType: 'E'.repeat(1_000_000) }),
  (e, pick) => ({ ...e, subject: pick(BAD_IDS), data: { ...(e.data as object), resourceUri: undefined } }),
  (e, pick) => ({ ...e, subject: pick(WRONG_TYPES) }),
  (e) => ({ ...e, subject: `${ACCOUNT}${'/x'.repeat(600)}` }),
  (e) => ({ ...e, data: { ...(e.data as object), resourceUri: NSG } }),
  (e) => ({
    ...e,
    data: { ...(e.data as object), operationName: 'Microsoft.Network/networkSecurityGroups/write' },
  }),
  (e, pick) => ({
    ...e,
    data: { ...(e.data as object), operationName: pick(WRONG_TYPES.filter((v) => v !== null)) },
  }),
  (e) => ({ ...e, data: { ...(e.data as object), subscriptionId: '00000000-0000-0000-0000-000000000000' } }),
  (e, pick) => ({ ...e, data: pick([null, 1, 'data', [], true]) }),
  (e) => {
    const { data: _data, ...rest } = e;
    return rest;
  },
  (e) => ({ ...e, specversion: '0.3' }),
  (_e, pick) => pick([null, undefined, 42, 'event', [], [{}], true]),
  (e) =>
    JSON.parse(
      `{"__proto__":{"id":"x"},"eventType":${JSON.stringify(e.eventType)},"subject":"${ACCOUNT}","data":{}}`,
    ),
  (e) => ({ ...e, subject: undefined, data: { ...(e.data as object), resourceUri: undefined } }),
];

/** Noise that must not make a bad event good, nor crash the parser. */
function addNoise(value: unknown, random: () => number): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const noisy = JSON.parse(
    JSON.stringify(value).replace(
      /^\{/,
      `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},`,
    ),
  );
  if (random() < 0.5) noisy.extra = 'z'.repeat(Math.floor(random() * 200_000));
  if (random() < 0.3 && typeof noisy.data === 'object' && noisy.data)
    noisy.data.claims = { [UPN]: { nested: 'object' }, appid: 7 };
  return noisy;
}

export function* hostileEvents(count: number, seed: number): Generator<unknown> {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const seeds = [
    writeEvent(ACCOUNT, 'Microsoft.Storage/storageAccounts/write'),
    writeEvent(CONTAINER, 'Microsoft.Storage/storageAccounts/blobServices/containers/write'),
    writeEvent(RULE, 'Microsoft.Network/networkSecurityGroups/securityRules/write'),
  ];
  for (let i = 0; i < count; i++) {
    const mutate = MUTATIONS[i % MUTATIONS.length] as Mutation;
    yield addNoise(mutate(structuredClone(pick(seeds)) as Record<string, unknown>, pick), random);
  }
}
