import { assessRule, describeRule, describeSources, formatPorts, judgedRules } from './nsg-rules.js';
import { finding } from './support.js';
import type { Control, Finding } from './types.js';

/** Remote administration / database ports reachable from the internet: one finding per offending rule. */
export const nsgMgmtPort: Control = {
  id: 'NSG-MGMT-PORT',
  title: 'Management and database ports must not be reachable from the internet',
  severity: 'critical',
  criteria: ['CC6.1', 'CC6.6'],
  azurePolicyDefinitionIds: ['22730e10-96f6-4aac-ad84-9383d35b5917', '9daedab3-fb2d-461e-b861-71790eead4f6'],
  resourceKinds: ['networkSecurityGroup', 'securityRule'],
  defaultMode: 'remediate',
  remediationDescription:
    'Change only the offending rule: remove its internet sources if it has others, otherwise set its access to Deny.',
  evaluate(resource, settings) {
    const failures: Finding[] = [];
    for (const rule of judgedRules(resource)) {
      const exposure = assessRule(rule, settings);
      if (!exposure || exposure.managementPorts.length === 0) continue;
      failures.push(
        finding(
          nsgMgmtPort,
          resource,
          'fail',
          `${describeRule(rule)} allows ${rule.protocol} from ${describeSources(exposure.internetSources)} to management port(s) ${formatPorts(exposure.managementPorts)}.`,
          { ruleName: rule.name, remediation: exposure.remediation },
        ),
      );
    }
    if (failures.length > 0) return failures;
    const extra = resource.kind === 'securityRule' ? { ruleName: resource.rule.name } : {};
    return [
      finding(
        nsgMgmtPort,
        resource,
        'pass',
        'No inbound rule opens a management port to the internet.',
        extra,
      ),
    ];
  },
};
