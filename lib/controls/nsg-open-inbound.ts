import { defineControl } from './define.js';
import { describeRule, describeSources, evaluateRules } from './nsg-rules.js';

/**
 * Anything else admitted from the internet without an approved exception (public web front ends
 * get one). Portless protocols (ICMP, ESP, AH) from the internet fail here: they are inbound
 * traffic from the internet even though they reach no TCP/UDP port, and an exception is the
 * audited way to allow ping or IPsec.
 */
export const nsgOpenInbound = defineControl({
  id: 'NSG-OPEN-INBOUND',
  title: 'Inbound traffic from the internet requires an approved exception',
  severity: 'high',
  criteria: ['CC6.6'],
  azurePolicyDefinitionIds: ['9daedab3-fb2d-461e-b861-71790eead4f6'],
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
      (rule, exposure) => {
        if (!(exposure.otherPorts || exposure.portlessTraffic)) return null;
        const target = exposure.portlessTraffic
          ? `${rule.protocol} traffic (no ports)`
          : exposure.managementPorts.length > 0
            ? `port(s) ${rule.destinationPortRanges.join(', ')}, beyond management port(s) ${exposure.managementPortsText},`
            : `port(s) ${rule.destinationPortRanges.join(', ')}`;
        return `${describeRule(rule)} allows ${exposure.portlessTraffic ? '' : `${rule.protocol} `}${target} from ${describeSources(exposure.internetSources)}.`;
      },
      'No inbound rule admits internet traffic beyond management ports.',
    );
  },
});
