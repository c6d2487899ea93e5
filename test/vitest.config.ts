import { mergeConfig } from 'vitest/config';
import { packageVitestConfig } from '../vitest.shared';

export default mergeConfig(packageVitestConfig({ include: ['**/*.test.ts'], testTimeout: 120_000 }), {
  // Says once why the contract suites are skipped when LINSTOR's OpenAPI file is not found.
  test: { globalSetup: ['contract/spec-notice.ts'] },
});
