import pkg from '../package.json' with { type: 'json' };

/** This package's version, sent in the User-Agent as `linstor-hv/<version>`. */
export const CLIENT_VERSION: string = pkg.version;
