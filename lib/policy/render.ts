import type { CrossCheckResult } from './cross-check.js';

/**
 * The report section of the Azure Policy cross-check (HTML), for the monthly report to embed.
 * `esc` is the host report's HTML escaping, so the section follows its rules.
 */
export function renderPolicySection(
  result: CrossCheckResult | undefined,
  esc: (value: string | number | null | undefined) => string,
): string {
  if (!result) return '';
  const t = result.totals;
  const badge =
    t.disagree > 0
      ? `<span class="badge bad">${t.disagree} disagreement(s) to investigate</span>`
      : '<span class="badge ok">Azure Policy and driftwarden agree</span>';
  const disagreements = result.rows.filter((row) => row.agreement !== 'agree');
  const rows =
    disagreements.length === 0
      ? '<p class="empty">No disagreements.</p>'
      : `<table><thead><tr><th>Resource</th><th>Control</th><th>Azure Policy</th><th>driftwarden</th><th>Agreement</th><th>Note</th></tr></thead><tbody>${disagreements
          .map(
            (row) =>
              `<tr><td><code>${esc(row.resourceId)}</code></td><td>${esc(row.controlId)}<br><code>${esc(row.policyDefinitionId)}</code></td><td>${esc(row.policyState)}</td><td>${esc(row.ours)}</td><td>${esc(row.agreement)}</td><td>${esc(row.note)}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  const gaps =
    result.gaps.length === 0
      ? '<p class="empty">Every subscription has the assignments.</p>'
      : `<table><thead><tr><th>Subscription</th><th>Definitions without a compliance state (not assigned)</th><th>SOC 2 Type 2 initiative</th></tr></thead><tbody>${result.gaps
          .map(
            (gap) =>
              `<tr><td><code>${esc(gap.subscriptionId)}</code></td><td>${gap.missingDefinitions.map((id) => `<code>${esc(id)}</code>`).join(' ') || '—'}</td><td>${gap.soc2InitiativeAssigned ? 'assigned' : 'not assigned'}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  const errors =
    result.errors.length === 0
      ? ''
      : `<p><span class="badge warn">policy states unreadable</span> ${result.errors.map((e) => `${esc(e.subscriptionId)}: ${esc(e.message)}`).join('; ')}</p>`;
  return `<h2>Azure Policy cross-check</h2><p>${badge} ${t.agree} agree · ${t.disagree} disagree · ${t.notCompared} not compared. A disagreement is a finding to investigate, not an action.</p>${errors}
<h3>Disagreements and uncompared states (${disagreements.length})</h3>${rows}
<h3>Subscriptions lacking assignments (${result.gaps.length})</h3>${gaps}`;
}
