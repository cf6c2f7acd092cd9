import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commandToLoad } from '../../../src/cli/command-name.js';

const withValue = ['--config', '-c', '--log-level'];

test('the first bare word is the command', () => {
  assert.equal(commandToLoad(['ingest', '/media/card', '--json'], withValue), 'ingest');
});

test("an option's value is not taken for the command", () => {
  assert.equal(commandToLoad(['-c', 'ls', 'mirror', 'a', 'b'], withValue), 'mirror');
  assert.equal(commandToLoad(['--log-level', 'debug', 'station'], withValue), 'station');
  assert.equal(commandToLoad(['--config=ls', 'status'], withValue), 'status');
});

test('no command: help, version, nothing', () => {
  assert.equal(commandToLoad([], withValue), undefined);
  assert.equal(commandToLoad(['--help'], withValue), undefined);
  assert.equal(commandToLoad(['--', 'ingest'], withValue), undefined);
});
