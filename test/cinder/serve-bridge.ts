/**
 * A cinder bridge process for the suite while `linstor-hv bridge` has no cinder platform: the real
 * bridge (`@linstor-hv/bridge` startBridge) serving the real method table, on the socket given as
 * the only argument. The harness bundles it with esbuild and runs it with node.
 */
import { startBridge } from '../../packages/bridge/src/index';
import { cinderMethodTable } from '../../packages/cinder/src/index';

const socketPath = process.argv[2];
if (!socketPath) throw new Error('usage: serve-bridge <socket>');
const bridge = await startBridge({
  methods: cinderMethodTable(),
  platform: 'cinder',
  version: '0.0.0-test',
  socketPath,
  handleSignals: true,
});
await bridge.closed;
