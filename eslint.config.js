import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layers from './eslint-rules/layers.js';

/**
 * The layers of ../shared/ARCHITECTURE.md, lowest first: an import under src/ may only go to the
 * same layer or a lower one.
 */
const LAYERS = [
  ['core'],
  ['adapters', 'config'],
  ['library', 'media'],
  ['devices', 'ingest', 'drives', 'uplink', 'recorder', 'snapshots', 'video', 'fleet', 'indicators', 'auth'],
  ['server'],
  ['station', 'hq'],
  ['cli'],
];

/**
 * Imports the library intake removes (fsck and rebuild hash through src/library/intake).
 * issue 12: remove these entries when the intake lands.
 */
const LAYERS_ALLOWED_FOR_NOW = [];

/** Only the catalogue's folder speaks SQL or holds an engine handle (issue 12, "one door"). */
const CATALOG_DOOR = {
  paths: ['kysely', 'better-sqlite3', 'pg'].map((name) => ({
    name,
    message: 'SQL belongs in src/library/catalog/: call an intent-named query of its modules.',
  })),
  patterns: [
    {
      group: ['kysely/*', 'pg/*'],
      message: 'SQL belongs in src/library/catalog/: call an intent-named query of its modules.',
    },
    {
      regex: '(^|/)library/catalog/handle(\\.[jt]s)?$',
      message: 'The engine handle stays inside src/library/catalog/: call an intent-named query instead.',
    },
  ],
};

/** core/ is pure: side effects belong in adapters passed in. */
const CORE_PURE = {
  group: ['node:fs*', 'node:child_process', 'node:net', 'node:http*', 'fs', 'child_process'],
  message: 'core/ is pure: side effects belong in adapters passed in.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { outpost: { rules: { layers } } },
    rules: {
      'outpost/layers': [
        'error',
        {
          root: 'src',
          layers: LAYERS,
          // "config/: subsystems never import it (the composition root maps it)".
          onlyFrom: { config: ['station', 'hq', 'cli'] },
          allow: LAYERS_ALLOWED_FOR_NOW,
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/library/catalog/**'],
    rules: {
      'no-restricted-imports': ['error', CATALOG_DOOR],
    },
  },
  {
    // The one exception to the door: a map tile file (MBTiles, docs/map.md) is SQLite but not the
    // catalogue. The adapter opens it read-only with fileMustExist and never writes it; kysely and
    // pg stay forbidden there.
    files: ['src/adapters/mbtiles.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: CATALOG_DOOR.paths.filter((p) => p.name !== 'better-sqlite3'),
          patterns: CATALOG_DOOR.patterns,
        },
      ],
    },
  },
  {
    // After the entry above: for core/ this one replaces it, so it carries both sets.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: CATALOG_DOOR.paths, patterns: [CORE_PURE, ...CATALOG_DOOR.patterns] },
      ],
    },
  },
);
