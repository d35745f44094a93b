import { readFile } from 'node:fs/promises';
import { overdueMs } from '../../anchor/anchoring.js';
import { type AnchoredVerifyResult, verifyAgainstAnchors } from '../../anchor/verify-anchors.js';
import { cliConfig } from '../../api/cli.js';
import { createApp } from '../../app/app.js';
import { createTableClient } from '../../azure/tables.js';
import { SETTINGS } from '../../config.js';
import { verifyExceptions } from '../../exceptions/evidence.js';
import { toError } from '../../util/errors.js';
import { jsonFormat, parseCommandArgs } from '../args.js';
import { type CliCommand, CliError, EXIT } from '../types.js';

const usage = `Usage: driftwarden verify [--from DATE] [--to DATE] [--public-key FILE] [--format table|json]

Checks the evidence: the signed digest chain (trusted key, signatures, no gap), then every
evidence chain against the digests, and every exception row against its evidence record. Each
finding names its class: edited, inserted, deleted, broken-link, rewritten, truncated,
rolled-back, chain-deleted, digest-missing, digest-edited, exception-forged, exception-edited.
Records newer than the last digest are listed as not yet anchored (not an error). Read-only.

Options:
  --from DATE, --to DATE  verify the chains of the months this period overlaps (default: all)
  --public-key FILE       the signing key's public key (PEM) to trust, e.g. a copy the auditor
                          kept; default: the key named by ${SETTINGS.signingKeyId}, read from Key Vault
  --format table|json     output (default table)
  -h, --help              show this help

Exit status: 0 intact, 1 evidence was tampered with, 2 cannot check (usage, settings, access).

Without ${SETTINGS.signingKeyId} only the table's own hash chains are checked, which anyone with
table write access can defeat; the output says so.

Settings: the Function app's (DW_STORAGE or DW_STORAGE__*, DW_EVIDENCE_TABLE, DW_EXCEPTIONS_TABLE,
${SETTINGS.signingKeyId}, ${SETTINGS.digestContainer}, ${SETTINGS.digestInterval}).`;

function date(name: string, value: string | undefined): Date | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new CliError(`--${name} is not a date: ${JSON.stringify(value)}`);
  return new Date(ms);
}

export const verifyCommand: CliCommand = {
  name: 'verify',
  summary: 'check the evidence against its signed digests; exit 1 if anything was tampered with',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      'verify',
      args,
      {
        format: { type: 'string', default: 'table' },
        from: { type: 'string' },
        to: { type: 'string' },
        'public-key': { type: 'string' },
      },
      usage,
    );
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    if (positionals.length) throw new CliError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const json = jsonFormat(values.format);
    const from = date('from', values.from);
    const to = date('to', values.to);
    const config = await cliConfig(io.env);
    const app = createApp(config);
    const anchors = app.anchoring();
    const store = await app.evidence();

    if (!anchors) {
      if (values['public-key'])
        throw new CliError(`--public-key needs the digests: set ${SETTINGS.signingKeyId}`);
      const result = await store.verify();
      const exceptions = await verifyExceptions(await app.exceptions());
      result.problems.push(
        ...exceptions.map((f) => ({
          kind: f.kind,
          chainId: '',
          sequence: 0,
          detail: `exception ${f.exceptionId}: ${f.detail}`,
        })),
      );
      result.ok = result.problems.length === 0;
      if (json) {
        io.stdout.write(`${JSON.stringify({ ...result, anchored: false }, null, 2)}\n`);
      } else {
        for (const problem of result.problems) {
          const record = problem.recordId ? ` record ${problem.recordId}` : '';
          io.stdout.write(
            `${problem.kind.toUpperCase()}  chain ${problem.chainId} #${problem.sequence}${record}: ${problem.detail}\n`,
          );
        }
        io.stdout.write(
          result.ok
            ? `ok: ${result.records} records in ${result.chains} chains verify\n`
            : `BROKEN: ${result.problems.length} problem(s) in ${result.records} records, ${result.chains} chains\n`,
        );
        io.stdout.write(
          `not anchored: ${SETTINGS.signingKeyId} is not set, so only the table's own hash chains were checked (anyone with table write access can rewrite them undetected)\n`,
        );
      }
      return result.ok ? EXIT.ok : EXIT.findings;
    }

    let trusted: string;
    let result: AnchoredVerifyResult;
    try {
      trusted = values['public-key']
        ? await readFile(values['public-key'], 'utf8')
        : await anchors.signer.publicKeyPem();
    } catch (error) {
      throw new CliError(`cannot read the signing key's public key: ${toError(error).message}`);
    }
    try {
      result = await verifyAgainstAnchors({
        table: createTableClient(config.storage, config.evidenceTable, { credential: app.credential }),
        digests: anchors.digests,
        trustedPublicKeyPem: trusted,
        from,
        to,
        now: new Date(),
        overdueMs: overdueMs(config),
      });
      for (const finding of await verifyExceptions(await app.exceptions()))
        result.findings.push({
          kind: finding.kind,
          exceptionId: finding.exceptionId,
          detail: finding.detail,
        });
      result.status = result.findings.length === 0 ? 'intact' : 'tampered';
    } catch (error) {
      throw new CliError(`cannot check the evidence: ${toError(error).message}`);
    }
    if (json) {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      for (const f of result.findings) {
        const where = [
          f.chainId ? `chain ${f.chainId}${f.sequence ? ` #${f.sequence}` : ''}` : null,
          f.recordId ? `record ${f.recordId}` : null,
          f.digest ? `digest ${f.digest}` : null,
          f.exceptionId ? `exception ${f.exceptionId}` : null,
        ]
          .filter(Boolean)
          .join(' ');
        io.stdout.write(`${f.kind.toUpperCase()}  ${where}: ${f.detail}\n`);
      }
      io.stdout.write(
        result.status === 'intact'
          ? `ok: ${result.records} records in ${result.chains} chains verify\n`
          : `BROKEN: ${result.findings.length} problem(s) in ${result.records} records, ${result.chains} chains\n`,
      );
      const pending = result.notYetAnchored.reduce((n, r) => n + r.toSequence - r.fromSequence + 1, 0);
      io.stdout.write(
        `anchored: ${result.anchoredRecords} records by ${result.digests} signed digest(s); not yet anchored: ${pending}\n`,
      );
      for (const range of result.notYetAnchored)
        io.stdout.write(
          `  not yet anchored: chain ${range.chainId} #${range.fromSequence}..#${range.toSequence}\n`,
        );
    }
    return result.status === 'intact' ? EXIT.ok : EXIT.findings;
  },
};
