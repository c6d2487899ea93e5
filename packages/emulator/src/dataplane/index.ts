export { type ConsistencyReport, DataPlane, type DeviceVolume } from './data-plane';
export { type CopyMethod, copyByScan, copySparse } from './sparse-copy';
