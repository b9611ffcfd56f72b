// Lint: typescript-eslint's recommended rules, plus the layering rule: imports point down the architecture (README
// "Layout"), as a DAG — each layer lists the layers it may import; anything else under src/ is an error.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** layer → the layers it may import (directly). Keep it acyclic: a layer may only list layers above it here. */
const mayImport = {
  core: [],
  tensor: ['core'],
  nn: ['core', 'tensor'],
  optim: ['core', 'tensor'],
  detectors: ['core', 'tensor', 'nn', 'optim'],
  store: ['core'],
  data: ['core', 'tensor'],
  eval: ['core', 'tensor', 'detectors', 'data'],
  collect: ['core', 'data'],
  inspect: ['core', 'detectors', 'eval'],
  app: ['core', 'tensor', 'detectors', 'store', 'data', 'eval', 'collect', 'inspect'],
  server: ['core', 'store', 'inspect', 'app'],
  cli: ['core', 'tensor', 'detectors', 'store', 'data', 'eval', 'collect', 'inspect', 'app', 'server'],
};
const layers = Object.keys(mayImport);
// the DAG check itself: a layer's allowed imports come before it in the list above
layers.forEach((l, i) => {
  for (const d of mayImport[l]) if (layers.indexOf(d) >= i) throw new Error(`eslint.config.js: layer '${l}' lists '${d}', which is not below it`);
});
const layerRules = layers.map((layer) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: layers
          .filter((other) => other !== layer && !mayImport[layer].includes(other))
          .map((other) => ({ group: [`**/${other}/*`, `**/${other}`, `!./**`], message: `src/${layer} may not import src/${other} (layering: see eslint.config.js mayImport)` })),
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
