export * from './names';
export * from './props';
export * from './provider-kinds';
export * from './retcode';
export type * from './wire';
