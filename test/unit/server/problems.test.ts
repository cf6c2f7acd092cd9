import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { invalidInput, zodProblems } from '../../../src/server/errors.js';

const schema = z.strictObject({
  rating: z.number().int().min(0).max(5),
  event: z.string().min(1).max(8),
  tags: z.array(z.string().max(4)).max(2),
  type: z.enum(['photo', 'video']),
  notes: z.string(),
});

test('request problems are told in plain words, each naming its field', () => {
  const r = schema.safeParse({ rating: 9, event: '', tags: ['ok', 'far too long'], type: 'gif', extra: 1 });
  assert.ok(!r.success);
  const problems = zodProblems('body', r.error.issues);
  const by = Object.fromEntries(problems.map((p) => [p.path, p.message]));
  assert.equal(by['body.rating'], 'too large: at most 5');
  assert.equal(by['body.event'], 'must not be empty');
  assert.equal(by['body.tags.1'], 'too long: at most 4 characters');
  assert.equal(by['body.type'], 'must be one of "photo", "video"');
  assert.equal(by['body.notes'], 'missing');
  assert.equal(by['body'], 'unknown field(s) "extra"');
  const many = schema.shape.tags.safeParse(['a', 'b', 'c']);
  assert.ok(!many.success);
  assert.equal(zodProblems('body.tags', many.error.issues)[0]?.message, 'too many: at most 2');
  for (const p of problems) assert.doesNotMatch(p.message, /Too big|Too small|Invalid input/, p.path);
  assert.match(invalidInput(problems).message, /body\.tags\.1: too long: at most 4 characters/);
});
