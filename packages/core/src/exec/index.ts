export { LocalExecutor, lineSplitter } from './local';
export { remoteCommandLine, SshExecutor, type SshTarget, shellQuote, sshArgv } from './ssh';
export { CommandFailedError, type HostExecutor, type RunOptions, type RunResult } from './types';
