import { describe, expect, it } from 'vitest';
import { formatPath, lineIndex } from '../../../lib/iac/json-lines.js';

describe('lineIndex', () => {
  it('finds the line where each object or array starts, by JSON path', () => {
    const text = [
      '{',
      '  "resources": [',
      '    { "name": "a" },',
      '    {',
      '      "name": "with \\"quotes\\" and \\\\ backslash",',
      '      "properties": { "securityRules": [',
      '        {"name": "r0"},',
      '        {"name": "r1"}',
      '      ] }',
      '    }',
      '  ],',
      '  "sym": { "nsg-web": { "type": "x" }, "odd key": [] }',
      '}',
    ].join('\n');
    JSON.parse(text); // the scanner only reads text JSON.parse accepts
    const lines = lineIndex(text);
    expect(lines.get('')).toBe(1);
    expect(lines.get('resources')).toBe(2);
    expect(lines.get('resources[0]')).toBe(3);
    expect(lines.get('resources[1]')).toBe(4);
    expect(lines.get(formatPath(['resources', 1, 'properties', 'securityRules', 1]))).toBe(8);
    expect(lines.get(formatPath(['sym', 'nsg-web']))).toBe(12);
    expect(lines.get(formatPath(['sym', 'odd key']))).toBe(12);
  });

  it('formats paths as labels', () => {
    expect(formatPath(['resources', 2, 'properties'])).toBe('resources[2].properties');
    expect(formatPath(['resources', 'nsg'])).toBe('resources.nsg');
    expect(formatPath(['resources', 'my rule'])).toBe('resources["my rule"]');
    expect(formatPath([3])).toBe('[3]');
  });
});
