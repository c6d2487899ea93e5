import { mergeConfig } from 'vitest/config';
import { packageVitestConfig } from '../../vitest.shared';

export default mergeConfig(packageVitestConfig(), {
  // Every resource view served from the view cache is also built afresh and compared
  // (domain/views.ts CHECK_VIEW_CACHE_ENV): a stale cached view fails the request loudly.
  test: { env: { LINSTOR_HV_EMULATOR_CHECK_VIEW_CACHE: '1' } },
});
