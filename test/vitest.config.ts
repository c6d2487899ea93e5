import { packageVitestConfig } from '../vitest.shared';

export default packageVitestConfig({ include: ['**/*.test.ts'], testTimeout: 120_000 });
