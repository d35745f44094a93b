import type { LocalMode } from './local-mode.js';

/** The few lines `npm start` prints when ready: where to look, and how to cause drift. */
export function banner(local: LocalMode, readyMs: number): string {
  const { info } = local;
  const sweep =
    local.sweep.status === 'completed'
      ? `done (${local.sweep.sweepId}; report in Azurite: ${local.sweep.reportBlob})`
      : local.sweep.status === 'running'
        ? `still running (${local.sweep.sweepId})`
        : `skipped: ${local.sweep.reason}`;
  return [
    '',
    `driftwarden local mode is ready in ${(readyMs / 1000).toFixed(1)} s`,
    '',
    `  Remediation log   ${local.loginUrl}`,
    '                    (one-time sign-in link: it sets a session cookie and opens the page;',
    `                    afterwards ${info.logPageUrl}; a new link: npx driftwarden sandbox login)`,
    `  ARM sandbox       ${info.armEndpoint}  (CA: ${info.caCertPath})`,
    `  Subscription      ${info.subscriptionId}  (demo: rg-patient-portal, rg-telehealth, rg-scheduling)`,
    `  Start-up sweep    ${sweep}`,
    '',
    '  Cause drift, then watch the log page:',
    '    npx driftwarden sandbox drift open-rdp      (or public-blob, weak-tls, open-http, public-container, short-retention, drop-diagnostics)',
    `  The API acts as ${info.devPrincipal.upn} (object id ${info.devPrincipal.objectId}); you cannot`,
    '  approve a restore of your own change: drift as someone else (--as), restore as yourself.',
    '',
    '  Point the on-call CLI (log, exceptions, restore, sweep, verify) at local mode, in each shell:',
    '    eval "$(npx driftwarden sandbox env)"',
    '    npx driftwarden log --outcome actionable',
    '',
    `  Connection details: ${local.localJsonPath}`,
    '  Ctrl-C stops everything.',
    '',
  ].join('\n');
}
