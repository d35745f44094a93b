import { defineControl } from './define.js';
import { describeRule, describeSources, evaluateRules } from './nsg-rules.js';

/** Remote administration / database ports reachable from the internet: one finding per offending rule. */
export const nsgMgmtPort = defineControl({
  id: 'NSG-MGMT-PORT',
  title: 'Management and database ports must not be reachable from the internet',
  severity: 'critical',
  criteria: ['CC6.1', 'CC6.6'],
  azurePolicyDefinitionIds: ['22730e10-96f6-4aac-ad84-9383d35b5917', '9daedab3-fb2d-461e-b861-71790eead4f6'],
  resourceKinds: ['networkSecurityGroup', 'securityRule'],
  defaultMode: 'remediate',
  remediationDescription:
    'Change only the offending rule: remove its internet sources if it has others, otherwise set its access to Deny.',
  // the rules come with the kind (normalize.ts); the plan is per rule (remove sources, or Deny)
  reads: {},
  writes: {},
  evaluate(resource, settings, verdict) {
    return evaluateRules(
      verdict,
      resource,
      settings,
      (rule, exposure) =>
        exposure.managementPorts.length === 0
          ? null
          : `${describeRule(rule)} allows ${rule.protocol} from ${describeSources(exposure.internetSources)} to management port(s) ${exposure.managementPortsText}.`,
      'No inbound rule opens a management port to the internet.',
    );
  },
});
