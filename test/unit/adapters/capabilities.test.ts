import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasCapability, parseProcStatus } from '../../../src/adapters/capabilities.js';

describe('process capabilities', () => {
  it('reads the uid and the effective and ambient sets from /proc/<pid>/status', () => {
    const text =
      'Name:\tnode\nUid:\t999\t999\t999\t999\nCapInh:\t0000000002200000\nCapPrm:\t0000000002200000\n' +
      'CapEff:\t0000000002200000\nCapBnd:\t0000000002200000\nCapAmb:\t0000000002200000\n';
    const caps = parseProcStatus(text)!;
    assert.equal(caps.uid, 999);
    assert.equal(hasCapability(caps.effective, 'CAP_SYS_ADMIN'), true);
    assert.equal(hasCapability(caps.effective, 'CAP_SYS_TIME'), true);
    assert.equal(hasCapability(caps.effective, 'CAP_DAC_OVERRIDE'), false);
    assert.equal(hasCapability(caps.ambient, 'CAP_SYS_ADMIN'), true);
    assert.equal(parseProcStatus('Name:\tx\n'), undefined);
  });
});
