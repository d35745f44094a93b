import { type Config, ConfigError, SETTINGS } from '../config.js';
import { parsePortList } from './network.js';
import type { EvaluationSettings } from './types.js';

/**
 * Remote administration and database ports that must never be reachable from the internet.
 * The contract (ARCHITECTURE.md "Contracts") fixes the core list; the rest are the usual suspects of internet-wide scans.
 */
export const DEFAULT_MANAGEMENT_PORTS: readonly string[] = [
  '22', // SSH
  '3389', // RDP
  '5985-5986', // WinRM
  '23', // Telnet
  '21', // FTP control
  '445', // SMB
  '135-139', // MS RPC, NetBIOS
  '1433', // SQL Server
  '1434', // SQL Server browser
  '1521', // Oracle
  '3306', // MySQL / MariaDB
  '5432', // PostgreSQL
  '6379', // Redis
  '27017-27019', // MongoDB
  '9200', // Elasticsearch HTTP
  '9300', // Elasticsearch transport
  '5601', // Kibana
  '5900', // VNC
  '2375-2376', // Docker daemon API
  '2379-2380', // etcd
  '6443', // Kubernetes API server
  '10250', // kubelet
  '11211', // memcached
  '5984', // CouchDB
  '9042', // Cassandra
  '389', // LDAP
  '636', // LDAPS
  '161', // SNMP
  '69', // TFTP
];

export const defaultEvaluationSettings: Readonly<EvaluationSettings> = Object.freeze({
  phiTagName: 'data-classification',
  phiTagValues: ['phi'],
  managementPorts: [...DEFAULT_MANAGEMENT_PORTS],
  internetPrefixMaxLength: 16,
  logRetentionDays: 365,
  auditWorkspaceTag: null,
  auditWorkspaceIds: null,
  diagnosticWorkspaceId: null,
});

/**
 * Settings from validated configuration; unset values fall back to the defaults. The port list
 * is parsed here so a typo fails at start-up naming DW_MANAGEMENT_PORTS, not mid-sweep.
 */
export function evaluationSettingsFromConfig(config: Config): EvaluationSettings {
  const managementPorts = config.managementPorts ?? [...DEFAULT_MANAGEMENT_PORTS];
  if (managementPorts.length === 0 || parsePortList(managementPorts) === null) {
    throw new ConfigError(SETTINGS.managementPorts, 'expected ports or ranges such as "22,3389,5985-5986"');
  }
  const internetPrefixMaxLength =
    config.internetPrefixMaxLength ?? defaultEvaluationSettings.internetPrefixMaxLength;
  if (internetPrefixMaxLength > 32) {
    throw new ConfigError(SETTINGS.internetPrefixMaxLength, 'an IPv4 prefix length is at most 32');
  }
  return {
    phiTagName: config.phiTagName ?? defaultEvaluationSettings.phiTagName,
    phiTagValues: config.phiTagValues ?? [...defaultEvaluationSettings.phiTagValues],
    managementPorts,
    internetPrefixMaxLength,
    logRetentionDays: config.logRetentionDays ?? defaultEvaluationSettings.logRetentionDays,
    auditWorkspaceTag: config.auditWorkspaceTag ?? null,
    auditWorkspaceIds: config.auditWorkspaceIds ? [...config.auditWorkspaceIds] : null,
    diagnosticWorkspaceId: config.diagnosticWorkspaceId ?? null,
  };
}
