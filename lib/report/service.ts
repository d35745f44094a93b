import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config.js';
import type { ExceptionStore } from '../exceptions/types.js';
import type { ReportArchive } from './archive.js';
import { criteriaMap, scopeControls } from './criteria.js';
import { generatePeriodReport, type PeriodProgress } from './generate.js';
import { type Period, periodReportId } from './period.js';
import { drawSample, type Sample, type SamplePopulation } from './sample.js';
import type { EvidenceSource } from './source.js';
import type { AnchorLookup, PeriodReport } from './types.js';

/**
 * Period reports and samples over the configured stores: what the CLI (`report`, `audit sample`),
 * the monthly timer and the API use. Built by the composition root (App.reports()).
 */

export interface ReportServiceDeps {
  config: Pick<Config, 'subscriptions' | 'modeOverrides' | 'auditOnly'>;
  source: EvidenceSource;
  exceptions: Pick<ExceptionStore, 'list'>;
  archive: ReportArchive;
  version: string;
  clock: () => Date;
  /** signed digest lookup, once digests exist (issue 11); without it reports say "not anchored" */
  anchors?: AnchorLookup;
}

export interface GenerateOptions {
  /** keep the files here too (default: a temporary directory, removed after the upload) */
  dir?: string;
  /** store in the reports container (default true) */
  store?: boolean;
  onProgress?: (progress: PeriodProgress) => void;
}

export class ReportService {
  constructor(readonly deps: ReportServiceDeps) {}

  scope(): PeriodReport['scope'] {
    const { config } = this.deps;
    return {
      subscriptions: [...config.subscriptions],
      controls: scopeControls(config.modeOverrides, config.auditOnly),
      criteriaMap: criteriaMap(),
    };
  }

  /** Generates the period's report; stored under its id (or a revision of it when already stored). */
  async generate(
    period: Period,
    options: GenerateOptions = {},
  ): Promise<{ report: PeriodReport; storedAs: string | null; dir: string | null }> {
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'driftwarden-report-')));
    try {
      const generatedAt = this.deps.clock();
      const report = await generatePeriodReport({
        period,
        source: this.deps.source,
        exceptions: await this.deps.exceptions.list(),
        scope: this.scope(),
        version: this.deps.version,
        generatedAt,
        dir,
        ...(this.deps.anchors ? { anchors: this.deps.anchors } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      const storedAs =
        options.store === false
          ? null
          : await this.deps.archive.store(
              periodReportId(period),
              dir,
              await readdir(dir),
              generatedAt
                .toISOString()
                .replace(/[-:]/g, '')
                .replace(/\.\d+Z$/, 'Z'),
            );
      return { report, storedAs, dir: options.dir ?? null };
    } finally {
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    }
  }

  sample(period: Period, population: SamplePopulation, size: number, seed: string): Promise<Sample> {
    return drawSample({
      period,
      population,
      size,
      seed,
      source: this.deps.source,
      exceptions: () => this.deps.exceptions.list(),
      ...(this.deps.anchors ? { anchors: this.deps.anchors } : {}),
    });
  }
}
