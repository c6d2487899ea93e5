export { createProgram, LINSTOR_HV_VERSION, type ProgramIo, processIo, readAll, runProgram } from './program';
