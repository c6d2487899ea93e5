/** Every PVE plugin method `linstor-hv proxmox <method>` answers, by its PVE name. */

import { activateVolume, deactivateVolume, volumeExport, volumeImport } from './activation';
import type { Handler } from './common';
import {
  cloneImage,
  createBase,
  volumeRollbackIsPossible,
  volumeSnapshot,
  volumeSnapshotDelete,
  volumeSnapshotInfo,
  volumeSnapshotRollback,
} from './snapshots';
import { checkConnection, getIdentity, status } from './storage';
import { allocImage, freeImage, listImages, renameVolume, volumeResize, volumeSizeInfo } from './volumes';

export type { Handler } from './common';

/** Handlers by PVE method name. */
export const HANDLERS: Readonly<Record<string, Handler>> = {
  alloc_image: allocImage,
  free_image: freeImage,
  list_images: listImages,
  activate_volume: activateVolume,
  deactivate_volume: deactivateVolume,
  volume_resize: volumeResize,
  volume_size_info: volumeSizeInfo,
  rename_volume: renameVolume,
  volume_snapshot: volumeSnapshot,
  volume_snapshot_delete: volumeSnapshotDelete,
  volume_rollback_is_possible: volumeRollbackIsPossible,
  volume_snapshot_rollback: volumeSnapshotRollback,
  volume_snapshot_info: volumeSnapshotInfo,
  create_base: createBase,
  clone_image: cloneImage,
  volume_export: volumeExport,
  volume_import: volumeImport,
  status,
  check_connection: checkConnection,
  get_identity: getIdentity,
};
