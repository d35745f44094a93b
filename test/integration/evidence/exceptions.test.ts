import { describe, expect, it } from 'vitest';
import { TableExceptionStore } from '../../../lib/exceptions/table-store.js';
import type { NewException } from '../../../lib/exceptions/types.js';
import { ExceptionNotFoundError, ExceptionValidationError } from '../../../lib/exceptions/validate.js';
import { manualClock, rawTable } from './helpers.js';

const NOW = '2026-11-10T12:00:00.000Z';
const DAY = 86_400_000;
const SCOPE =
  '/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/web';

function newException(overrides: Partial<NewException> = {}): NewException {
  return {
    controlId: 'NSG-OPEN-INBOUND',
    scope: SCOPE,
    ruleName: 'allow-partner-443',
    justification: 'Partner clinic integration needs 443 from their range until migration',
    ticket: 'CHG-1234',
    approvedBy: 'carol@contoso.example',
    expiresOn: new Date(Date.parse(NOW) + 30 * DAY).toISOString(),
    ...overrides,
  };
}

async function store(maxDays?: number) {
  const time = manualClock(NOW);
  const client = await rawTable();
  return {
    time,
    store: new TableExceptionStore({ client, clock: time.clock, ...(maxDays ? { maxDays } : {}) }),
  };
}

describe('TableExceptionStore', () => {
  it('creates, gets and lists', async () => {
    const { store: exceptions } = await store();
    const created = await exceptions.create(
      newException({ controlId: 'nsg-open-inbound' as NewException['controlId'] }),
    );
    expect(created).toMatchObject({
      controlId: 'NSG-OPEN-INBOUND',
      approvedOn: NOW,
      ruleName: 'allow-partner-443',
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await exceptions.get(created.id)).toEqual(created);
    const second = await exceptions.create(
      newException({ ruleName: undefined, scope: '/subscriptions/00000000-0000-0000-0000-00000000000a' }),
    );
    expect(second.ruleName).toBeUndefined();
    expect((await exceptions.list()).map((e) => e.id).sort()).toEqual([created.id, second.id].sort());
    expect(await exceptions.get('00000000-0000-0000-0000-000000000000')).toBeNull();
    expect(await exceptions.get("bad/id#?'")).toBeNull();
  });

  it('validates every field', async () => {
    const { store: exceptions } = await store(30);
    const bad: Array<[Partial<NewException>, string]> = [
      [{ controlId: 'NSG-NOPE' as NewException['controlId'] }, 'controlId'],
      [{ scope: 'rg/web' }, 'scope'],
      [{ scope: '/subscriptions/' }, 'scope'],
      [{ scope: '/resourceGroups/x' }, 'scope'],
      [{ justification: '   ' }, 'justification'],
      [{ justification: 'x'.repeat(2001) }, 'justification'],
      [{ ticket: '' }, 'ticket'],
      [{ ticket: 'CHG\u0000' }, 'ticket'],
      [{ approvedBy: '' }, 'approvedBy'],
      [{ ruleName: '' }, 'ruleName'],
      [{ expiresOn: 'next tuesday' }, 'expiresOn'],
      [{ expiresOn: new Date(Date.parse(NOW) - 1000).toISOString() }, 'expiresOn'],
      [{ expiresOn: new Date(Date.parse(NOW) + 31 * DAY).toISOString() }, 'expiresOn'],
    ];
    for (const [override, field] of bad) {
      const error = await exceptions.create(newException(override)).catch((e: unknown) => e);
      expect(error, JSON.stringify(override).slice(0, 80)).toBeInstanceOf(ExceptionValidationError);
      expect((error as ExceptionValidationError).field).toBe(field);
    }
    expect(await exceptions.list()).toEqual([]);
    await expect(
      exceptions.create(newException({ expiresOn: new Date(Date.parse(NOW) + 30 * DAY).toISOString() })),
    ).resolves.toBeTruthy();
  });

  it('revokes without deleting, once, and active() drops revoked and expired', async () => {
    const { store: exceptions, time } = await store();
    const shortLived = await exceptions.create(
      newException({ expiresOn: new Date(Date.parse(NOW) + 2 * DAY).toISOString() }),
    );
    const revokedOne = await exceptions.create(newException());
    const kept = await exceptions.create(newException({ ticket: 'CHG-9' }));
    time.advance(DAY);
    const revoked = await exceptions.revoke(revokedOne.id, 'dave@contoso.example');
    expect(revoked).toMatchObject({
      revokedBy: 'dave@contoso.example',
      revokedOn: '2026-11-11T12:00:00.000Z',
    });
    time.advance(1000);
    expect(await exceptions.revoke(revokedOne.id, 'eve@contoso.example')).toEqual(revoked); // first one stands
    await expect(exceptions.revoke('00000000-0000-0000-0000-000000000000', 'x')).rejects.toBeInstanceOf(
      ExceptionNotFoundError,
    );
    await expect(exceptions.revoke(kept.id, ' ')).rejects.toBeInstanceOf(ExceptionValidationError);

    expect((await exceptions.active(time.clock())).map((e) => e.id).sort()).toEqual(
      [shortLived.id, kept.id].sort(),
    );
    expect((await exceptions.active(new Date(Date.parse(NOW) + 3 * DAY))).map((e) => e.id)).toEqual([
      kept.id,
    ]);
    expect(await exceptions.list()).toHaveLength(3); // audit trail keeps everything
    expect(await exceptions.get(revokedOne.id)).toEqual(revoked);
  });

  it('concurrent revocations record exactly one revoker', async () => {
    const { store: exceptions } = await store();
    const created = await exceptions.create(newException());
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((who) => exceptions.revoke(created.id, who)));
    expect(new Set(results.map((r) => `${r.revokedBy}@${r.revokedOn}`)).size).toBe(1);
  });
});
