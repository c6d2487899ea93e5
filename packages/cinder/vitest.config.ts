import { packageVitestConfig } from '../../vitest.shared';

export default packageVitestConfig({ testTimeout: 60_000 });
