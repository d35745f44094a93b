import { describe, expect, it } from 'vitest';
import { containersMatter, handOut, parseStorageAccountId } from '../../../lib/sweep/enumerate.js';
import {
  estimateRemainingMs,
  formatDuration,
  formatProgress,
  ProgressReporter,
} from '../../../lib/sweep/progress.js';

describe('handOut', () => {
  it('hands out every resource of a page in order, dropping each from the page as it goes', () => {
    const page = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    const seen: string[] = [];
    for (const resource of handOut(page)) {
      seen.push(resource.id);
      // the page no longer holds what was handed out, still holds what was not
      expect(page.map((slot) => slot?.id ?? null)).toEqual(
        ['a', 'b', 'c'].map((id) => (seen.includes(id) ? null : id)),
      );
    }
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(page).toHaveLength(3);
  });
});

describe('containersMatter', () => {
  const remediated = [{ controlId: 'STG-PUBLIC-BLOB', outcome: 'remediated' }];
  it('skips accounts whose account-level switch is (or was just made) false', () => {
    expect(containersMatter({ allowBlobPublicAccess: false })).toBe(false);
    expect(containersMatter({ allowBlobPublicAccess: true }, remediated)).toBe(false);
    expect(containersMatter({ allowBlobPublicAccess: null }, remediated)).toBe(false);
  });
  it('lists containers where the account stays open', () => {
    expect(containersMatter({ allowBlobPublicAccess: true })).toBe(true);
    expect(containersMatter({})).toBe(true); // absent permits anonymous access
    for (const outcome of ['audit-only', 'exempted', 'remediation-failed', 'skipped']) {
      expect(
        containersMatter({ allowBlobPublicAccess: true }, [{ controlId: 'STG-PUBLIC-BLOB', outcome }]),
      ).toBe(true);
    }
    expect(
      containersMatter({ allowBlobPublicAccess: true }, [
        { controlId: 'STG-MIN-TLS', outcome: 'remediated' },
      ]),
    ).toBe(true);
  });
  it('parses account ids case-insensitively', () => {
    expect(
      parseStorageAccountId(
        '/subscriptions/s/resourceGroups/rg-1/providers/microsoft.storage/storageAccounts/acct',
      ),
    ).toEqual({
      resourceGroup: 'rg-1',
      accountName: 'acct',
    });
    expect(
      parseStorageAccountId(
        '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n',
      ),
    ).toBeNull();
  });
});

describe('progress', () => {
  const totals = {
    subscriptions: 2,
    subscriptionsDone: 1,
    listed: 100,
    decided: 25,
    remediated: 3,
    failed: 1,
    listingDone: true,
  };
  it('estimates the remaining time from the decision rate, only once the total is known', () => {
    expect(estimateRemainingMs(totals, 10_000)).toBe(30_000);
    expect(estimateRemainingMs({ ...totals, listingDone: false }, 10_000)).toBeNull();
    expect(formatDuration(75_000)).toBe('1m15s');
    expect(formatProgress(totals, 10_000)).toBe(
      'sweep: 25/100 evaluated, 3 remediated, 1 failed · 1/2 subscriptions · 10s · ETA 30s',
    );
  });
  it('rewrites one line on a TTY and prints plain lines otherwise', () => {
    let now = 0;
    const tty: string[] = [];
    const reporter = new ProgressReporter(
      { isTTY: true, columns: 200, write: (c: string) => tty.push(c) },
      1,
      () => now,
    );
    for (let i = 1; i <= 3; i++) {
      now += 150;
      reporter.update({
        subscriptionId: 's',
        listed: 3,
        listingDone: true,
        decided: i,
        remediated: 0,
        failed: 0,
      });
    }
    reporter.finish();
    expect(tty.every((c) => c.startsWith('\r\x1b[2K') || c === '\n')).toBe(true);
    expect(tty.at(-1)).toBe('\n');
    const plain: string[] = [];
    now = 0;
    const piped = new ProgressReporter({ write: (c: string) => plain.push(c) }, 1, () => now);
    for (let i = 1; i <= 3; i++)
      piped.update({
        subscriptionId: 's',
        listed: 3,
        listingDone: true,
        decided: i,
        remediated: 0,
        failed: 0,
      });
    piped.finish();
    expect(plain).toHaveLength(1); // throttled to one line per 5 s, plus the final one... within 0 ms: just the final
    expect(plain[0]).toMatch(/^sweep: 3\/3 evaluated.*\n$/);
  });
});
