// Lint: typescript-eslint's recommended rules, plus the layering rule of DEVELOPERS.md:
// imports point down the list tensor ← nn/optim ← detectors ← data ← eval ← collect ← inspect ← cli/server.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layers = ['tensor', 'nn', 'optim', 'detectors', 'data', 'eval', 'collect', 'inspect', 'cli', 'server'];
// cli sits above server: the CLI's `serve` and `demo` start the server; the server never imports the CLI.
const rank = { tensor: 0, nn: 1, optim: 1, detectors: 2, data: 3, eval: 4, collect: 5, inspect: 6, server: 7, cli: 8 };
const layerRules = layers.map((layer) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: layers
          .filter((other) => other !== layer && rank[other] >= rank[layer])
          .map((other) => ({ group: [`**/${other}/*`, `**/${other}`], message: `src/${layer} may not import src/${other} (layering, see DEVELOPERS.md)` })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'native/build/**', 'web/vendor/**', 'harness/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  ...layerRules,
);
