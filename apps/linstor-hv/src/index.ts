export { type ProgramIo, processIo, readAll } from './io';
export { createProgram, LINSTOR_HV_VERSION, runProgram } from './program';
