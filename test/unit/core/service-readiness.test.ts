import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  initialReadiness,
  nextReadiness,
  readinessStatus,
  type ReadinessFact,
  type ReadinessState,
} from '../../../src/core/service-readiness.js';

const run = (serverEnabled: boolean, ...facts: ReadinessFact[]): ReadinessState =>
  facts.reduce(nextReadiness, initialReadiness(serverEnabled));

describe('service readiness (READY=1 and STATUS=)', () => {
  it('starts not ready', () => {
    const s = initialReadiness(true);
    assert.equal(s.ready, false);
    assert.equal(readinessStatus(s), 'starting');
  });

  it('with a library drive, is ready only once the web app listens', () => {
    const attached = run(true, { kind: 'library-attached', label: 'A' });
    assert.equal(attached.ready, false);
    assert.equal(readinessStatus(attached), 'library drive "A" attached · starting the web app');
    const grace = nextReadiness(attached, { kind: 'grace-elapsed' });
    assert.equal(grace.ready, false, 'a drive is attached: the grace period does not count');
    const up = nextReadiness(grace, { kind: 'server-listening', url: 'http://0.0.0.0:8080' });
    assert.equal(up.ready, true);
    assert.equal(readinessStatus(up), 'web app at http://0.0.0.0:8080 · library drive "A"');
  });

  it('a web app that cannot start still makes the station ready (ingest runs), and says why', () => {
    const s = run(
      true,
      { kind: 'library-attached', label: 'A' },
      { kind: 'server-failed', error: 'listen EADDRINUSE' },
    );
    assert.equal(s.ready, true);
    assert.equal(readinessStatus(s), 'web app could not start (listen EADDRINUSE) · library drive "A"');
  });

  it('no library drive after the first seconds: ready, waiting for one', () => {
    const s = run(true, { kind: 'grace-elapsed' });
    assert.equal(s.ready, true);
    assert.equal(readinessStatus(s), 'waiting for a library drive (the web app starts with one)');
  });

  it('with the web app off, a library drive attached is enough', () => {
    const s = run(false, { kind: 'library-attached', label: 'B' });
    assert.equal(s.ready, true);
    assert.equal(readinessStatus(s), 'library drive "B" attached (web app off)');
    assert.equal(readinessStatus(run(false, { kind: 'grace-elapsed' })), 'waiting for a library drive');
  });

  it('never later than the maximum wait', () => {
    const s = run(true, { kind: 'library-attached', label: 'A' }, { kind: 'max-wait-elapsed' });
    assert.equal(s.ready, true);
  });

  it('stays ready; the web app stops with its drive and the status says so', () => {
    const s = run(
      true,
      { kind: 'library-attached', label: 'A' },
      { kind: 'server-listening', url: 'http://0.0.0.0:8080' },
      { kind: 'library-detached' },
    );
    assert.equal(s.ready, true);
    assert.equal(readinessStatus(s), 'waiting for a library drive (the web app starts with one)');
    const again = run(
      true,
      { kind: 'library-attached', label: 'A' },
      { kind: 'server-failed', error: 'x' },
      { kind: 'library-detached' },
    );
    assert.match(readinessStatus(again), /could not start \(x\) · no library drive/);
  });
});
