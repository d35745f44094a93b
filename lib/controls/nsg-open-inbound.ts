import { assessRule, describeRule, describeSources, formatPorts, judgedRules } from './nsg-rules.js';
import { finding } from './support.js';
import type { Control, Finding } from './types.js';

/**
 * Anything else admitted from the internet without an approved exception (public web front ends
 * get one). Portless protocols (ICMP, ESP, AH) from the internet fail here: they are inbound
 * traffic from the internet even though they reach no TCP/UDP port, and an exception is the
 * audited way to allow ping or IPsec.
 */
export const nsgOpenInbound: Control = {
  id: 'NSG-OPEN-INBOUND',
  title: 'Inbound traffic from the internet requires an approved exception',
  severity: 'high',
  criteria: ['CC6.6'],
  azurePolicyDefinitionIds: ['9daedab3-fb2d-461e-b861-71790eead4f6'],
  resourceKinds: ['networkSecurityGroup', 'securityRule'],
  defaultMode: 'remediate',
  remediationDescription:
    'Change only the offending rule: remove its internet sources if it has others, otherwise set its access to Deny.',
  evaluate(resource, settings) {
    const failures: Finding[] = [];
    for (const rule of judgedRules(resource)) {
      const exposure = assessRule(rule, settings);
      if (!exposure || !(exposure.otherPorts || exposure.portlessTraffic)) continue;
      const target = exposure.portlessTraffic
        ? `${rule.protocol} traffic (no ports)`
        : exposure.managementPorts.length > 0
          ? `port(s) ${rule.destinationPortRanges.join(', ')}, beyond management port(s) ${formatPorts(exposure.managementPorts)},`
          : `port(s) ${rule.destinationPortRanges.join(', ')}`;
      failures.push(
        finding(
          nsgOpenInbound,
          resource,
          'fail',
          `${describeRule(rule)} allows ${exposure.portlessTraffic ? '' : `${rule.protocol} `}${target} from ${describeSources(exposure.internetSources)}.`,
          { ruleName: rule.name, remediation: exposure.remediation },
        ),
      );
    }
    if (failures.length > 0) return failures;
    const extra = resource.kind === 'securityRule' ? { ruleName: resource.rule.name } : {};
    return [
      finding(
        nsgOpenInbound,
        resource,
        'pass',
        'No inbound rule admits internet traffic beyond management ports.',
        extra,
      ),
    ];
  },
};
