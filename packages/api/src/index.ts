export * from './names';
export * from './props';
export * from './retcode';
export type * from './wire';
