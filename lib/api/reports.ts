import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { isReportFile, isReportId, type ReportArchive } from '../report/archive.js';
import type { ApiDeps } from './deps.js';
import { ApiError, badRequest, json, notFound } from './http.js';

/**
 * GET /api/reports — every stored report (period reports and monthly sweep reports), newest first.
 * GET /api/reports/{id}/{file} — one file of one report, as stored (WORM blobs).
 */

function archive(deps: ApiDeps): ReportArchive {
  if (!deps.reports)
    throw new ApiError(501, 'NotImplemented', 'Reports are not available: no blob storage is configured.');
  return deps.reports;
}

export async function listReports(_request: HttpRequest, deps: ApiDeps): Promise<HttpResponseInit> {
  const items = await archive(deps).list();
  return json(200, {
    items: items.map((item) => ({
      ...item,
      links: Object.fromEntries(
        item.files.map((file) => [
          file,
          `/api/reports/${encodeURIComponent(item.id)}/${encodeURIComponent(file)}`,
        ]),
      ),
    })),
  });
}

export async function getReportFile(request: HttpRequest, deps: ApiDeps): Promise<HttpResponseInit> {
  const id = request.params.id ?? '';
  const file = request.params.file ?? '';
  if (!isReportId(id)) throw badRequest('id is not a report id (period-… or sweep-…).');
  if (!isReportFile(file)) throw badRequest('file is not a report file name.');
  const found = await archive(deps).get(id, file);
  if (!found) throw notFound(`Report file ${id}/${file}`);
  const headers: Record<string, string> = {
    'content-type': found.contentType,
    'cache-control': 'private, max-age=300',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // the report page is self-contained: inline styles and SVG only, never a script
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
  };
  if (file.endsWith('.csv')) headers['content-disposition'] = `attachment; filename="${id}-${file}"`;
  return { status: 200, body: found.body.toString('utf8'), headers };
}
