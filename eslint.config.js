// ESLint runs one type-aware rule that Biome lacks: no floating promises. An un-awaited
// promise in a worker loop is how tasks silently vanish. Everything else is Biome's job.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/gen/**', '**/*.js', '**/*.mjs', 'examples/**'],
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      // One program over sources and tests, so tests are checked too (package tsconfigs exclude them).
      parserOptions: { project: ['./tsconfig.eslint.json'], tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@tributary/*/src/*', '@tributary/*/dist/*'],
              message: 'Import a package by its public entry point.',
            },
          ],
        },
      ],
    },
  },
);
