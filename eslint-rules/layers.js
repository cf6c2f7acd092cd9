/**
 * `outpost/layers`: an import under `src/` may only go to the same layer or a lower one
 * (../shared/ARCHITECTURE.md, "Module map"); some folders may only be imported by a few others
 * (the config: by the composition roots). A local rule because eslint-plugin-import is not a
 * dependency, and its `no-restricted-paths` would need one zone per pair of layers.
 *
 * Options (one object):
 * - `root`: the source folder, relative to ESLint's cwd (default `src`);
 * - `layers`: the top folders of `root`, lowest layer first, each entry a list of folders of one layer;
 * - `onlyFrom`: `{ folder: [importers…] }`: `folder` may be imported only from itself and these;
 * - `allow`: `[{ from, to }]` paths relative to the cwd (a file, with or without extension, or a
 *   folder) whose imports are let through for now.
 *
 * Relative specifiers only (`./x.js`, `../y/z.js`): packages are not layers. Static imports,
 * `import type`, re-exports, `import()` with a literal and `import('…').T` types all count.
 */
import { dirname, relative, resolve, sep } from 'node:path';

const EXT = /\.(?:[cm]?[jt]s|tsx)$/;

/** Repository-relative, forward slashes. */
function shown(cwd, abs) {
  return relative(cwd, abs).split(sep).join('/');
}

/** `pattern` (a file, with or without extension, or a folder) covers `path`. */
function covers(pattern, path) {
  const p = pattern.replace(EXT, '').replace(/\/+$/, '');
  const q = path.replace(EXT, '');
  return q === p || q.startsWith(`${p}/`);
}

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: 'Imports go to the same layer or a lower one (ARCHITECTURE.md).' },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          layers: { type: 'array', items: { type: 'array', items: { type: 'string' } } },
          onlyFrom: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
          allow: {
            type: 'array',
            items: {
              type: 'object',
              properties: { from: { type: 'string' }, to: { type: 'string' } },
              required: ['from', 'to'],
              additionalProperties: false,
            },
          },
        },
        required: ['layers'],
        additionalProperties: false,
      },
    ],
    messages: {
      upward:
        '{{from}} (layer {{fromRank}}, {{fromTop}}/) imports {{to}} (layer {{toRank}}, {{toTop}}/): an import may only go to the same layer or a lower one ({{order}}). Move what both need down (pure code to core/), or pass it in.',
      onlyFrom:
        '{{from}} imports {{to}}: {{toTop}}/ is imported only by {{importers}} (they map it onto the settings each part declares).',
      unknownLayer:
        '{{path}}: {{top}}/ has no layer; add it to the layer list in eslint.config.js (and to ARCHITECTURE.md).',
    },
  },
  create(context) {
    const opts = context.options[0] ?? { layers: [] };
    const cwd = context.cwd;
    const root = resolve(cwd, opts.root ?? 'src');
    const rank = new Map();
    opts.layers.forEach((folders, i) => folders.forEach((f) => rank.set(f, i)));
    const order = opts.layers.map((l) => l.join(', ')).join(' → ');
    const onlyFrom = opts.onlyFrom ?? {};
    const allow = opts.allow ?? [];

    const file = context.filename;
    const fromRel = relative(root, file);
    // Files outside the source folder (tests, benchmarks, scripts) are not layered.
    if (fromRel.startsWith('..') || fromRel === '' || resolve(root, fromRel) !== file) return {};
    const fromParts = fromRel.split(sep);
    const fromTop = fromParts.length > 1 ? fromParts[0] : '';
    const fromPath = shown(cwd, file);

    /** Each unknown folder is reported once per file. */
    const reportedUnknown = new Set();
    const unknown = (node, top, path) => {
      if (reportedUnknown.has(top)) return;
      reportedUnknown.add(top);
      context.report({ node, messageId: 'unknownLayer', data: { path, top: top || '(top level)' } });
    };

    function check(node, spec) {
      if (typeof spec !== 'string' || !(spec.startsWith('./') || spec.startsWith('../'))) return;
      const target = resolve(dirname(file), spec);
      const toRel = relative(root, target);
      if (toRel.startsWith('..')) return;
      const toParts = toRel.split(sep);
      const toTop = toParts.length > 1 ? toParts[0] : '';
      const toPath = shown(cwd, target);
      if (allow.some((a) => covers(a.from, fromPath) && covers(a.to, toPath))) return;
      if (!rank.has(fromTop)) return unknown(node, fromTop, fromPath);
      if (!rank.has(toTop)) return unknown(node, toTop, toPath);
      const importers = onlyFrom[toTop];
      if (importers && fromTop !== toTop && !importers.includes(fromTop))
        return context.report({
          node,
          messageId: 'onlyFrom',
          data: { from: fromPath, to: toPath, toTop, importers: importers.map((i) => `${i}/`).join(', ') },
        });
      const fromRank = rank.get(fromTop);
      const toRank = rank.get(toTop);
      if (toRank > fromRank)
        context.report({
          node,
          messageId: 'upward',
          data: { from: fromPath, to: toPath, fromTop, toTop, fromRank, toRank, order },
        });
    }

    const literal = (n) => (n && n.type === 'Literal' ? n.value : undefined);
    return {
      ImportDeclaration: (node) => check(node, literal(node.source)),
      ExportNamedDeclaration: (node) => check(node, literal(node.source)),
      ExportAllDeclaration: (node) => check(node, literal(node.source)),
      ImportExpression: (node) => check(node, literal(node.source)),
      TSImportType: (node) =>
        check(node, node.argument?.type === 'TSLiteralType' ? literal(node.argument.literal) : undefined),
    };
  },
};
