/** Property keys linstor-hv reads or writes (linstor-api.md §6, plus our own `Aux/linstor-hv/` namespace). */

export const PROP_STOR_POOL_NAME = 'StorPoolName';
export const PROP_ALLOW_TWO_PRIMARIES = 'DrbdOptions/Net/allow-two-primaries';
export const PROP_DRBD_PROTOCOL = 'DrbdOptions/Net/protocol';
export const PROP_EXACT_SIZE = 'DrbdOptions/ExactSize';
export const PROP_AUTO_TIEBREAKER = 'DrbdOptions/auto-add-quorum-tiebreaker';
export const PROP_ZFS_ROLLBACK_STRATEGY = 'StorDriver/Zfs/RollbackStrategy';
export const PROP_USE_ZFS_CLONE = 'UseZFSClone';
export const PROP_TOKEN_AUTH_ENABLED = 'Auth/TokenAuthenticationEnabled';

/** Namespace of linstor-hv's own ownership and bookkeeping properties. */
export const AUX_NS = 'Aux/linstor-hv';
export const PROP_HV_PLATFORM = `${AUX_NS}/platform`;
export const PROP_HV_OWNER = `${AUX_NS}/owner`;
export const PROP_HV_NAME = `${AUX_NS}/name`;
export const PROP_HV_CREATED_BY = `${AUX_NS}/created-by`;
export const PROP_HV_MIGRATION = `${AUX_NS}/migration`;

/** linstor-proxmox's VM id property on resource definitions. */
export const PROP_PM_VMID = 'Aux/pm/vmid';

/**
 * Marks an object that exists only while a multi-step verb runs (a rollback's restore volume, a
 * clone's source snapshot); the value says which verb and which volume it serves.
 */
export const PROP_HV_TEMPORARY = `${AUX_NS}/temporary`;
/** Set on a volume until the verb that creates it (create, clone, restore) has finished. */
export const PROP_HV_PENDING = `${AUX_NS}/pending`;
/**
 * The attempt that created a pending object: a random id chosen when the create starts (and known
 * to its caller), so a repeat resumes only its own attempt, never another one of the same owner.
 */
export const PROP_HV_ATTEMPT = `${AUX_NS}/attempt`;
/** When a pending object was created (ISO time), so an orphan sweep can tell a dead attempt by its age. */
export const PROP_HV_CREATED_AT = `${AUX_NS}/created-at`;
