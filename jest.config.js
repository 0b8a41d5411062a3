// Jest runs TypeScript as native ESM (node --experimental-vm-modules, see package.json scripts);
// @swc/jest only strips types, type checking is `npm run typecheck`.
const common = {
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.tsx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es2023', transform: { react: { runtime: 'automatic' } } } }],
  },
  testEnvironment: 'node',
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'], slowTestThreshold: 30 },
  ],
  testTimeout: 60_000,
  // A cache of our own: jest's shared /tmp cache was seen to wedge runs when several trees used it.
  cacheDirectory: '<rootDir>/.tmp/jest-cache',
};
