export {
  type CopyOptions,
  type CopyResult,
  type CopySource,
  type CopyTarget,
  copyData,
  DataCopyError,
  type ImageFormat,
  probeImage,
  sniffStreamFormat,
} from './copy';
export { type CopyProgress, type ProgressCallback, parseDdProgress, parseQemuImgProgress } from './progress';
