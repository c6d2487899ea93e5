import { version } from '../package.json';

/** The version the command reports (`linstor-hv --version`, `bridge.hello`). */
export const LINSTOR_HV_VERSION: string = version;
