// @ts-check
import eslint from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Files matching `files` (tests aside) may not import the modules matching `forbidden`. */
function layer(files, forbidden, message) {
  return {
    files: [files],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: forbidden, message },
            // So that the rule sees every import across folders: those are written from `@/`.
            { group: ['../../**'], message: 'import from another folder of src by its `@/` path' },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'src/generated/', 'node_modules/', 'eslint.config.mjs', 'jest.config.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['scripts/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['scripts/**/*.mjs', 'bench/**/*.mjs', 'test/containers/*.mjs', 'test/helpers/*.mjs', 'docker/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  // The layers, lowest first: common (pure building blocks), infra (technical mechanisms), modules
  // (the features), cli (operator commands); only the process entry points compose them all. A
  // layer imports only the layers below it; tests may compose what they test.
  layer('src/common/**/*.ts', ['@/infra/**', '@/modules/**', '@/cli/**'], 'common is the lowest layer: it imports neither infra, the features nor the command line'),
  layer('src/infra/**/*.ts', ['@/modules/**', '@/cli/**'], 'infra holds mechanisms only: a feature plugs into it (see HealthModule.forRoot, AccountChecks), infra never imports one'),
  layer('src/modules/**/*.ts', ['@/cli/**'], 'features do not import the command line; what both need lives in common (common/cli)'),
  {
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
