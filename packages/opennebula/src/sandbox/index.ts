/**
 * `@linstor-hv/opennebula/sandbox`: a front-end in a directory acting as oned, for the end-to-end
 * tests, the demo and the benchmark. The drivers never use it.
 */

export * from './backup';
export * from './documents';
export * from './sandbox';
