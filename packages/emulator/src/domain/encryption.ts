/**
 * The controller's master passphrase (`/v1/encryption/passphrase`), after linstor-server's
 * CtrlConfApiCallHandler and EncryptionHelper: create once (FAIL_EXISTS_CRYPT_PASSPHRASE after
 * that), modify with the old passphrase, enter it to unlock after a restart. The status is
 * `unset`, `locked` or `unlocked`. Only a salted hash is stored; whether it was entered is kept
 * in memory, so a restarted emulator is locked again, as a restarted controller is. Secrets of
 * S3/EBS remotes need the unlocked master key.
 */
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type ApiCallRc,
  CREATED,
  FAIL_MISSING_PROPS,
  FAIL_NOT_FOUND_CRYPT_KEY,
  MASK_CRT,
  MASK_CTRL_CONF,
  MASK_MOD,
  MODIFIED,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';

/** FAIL_EXISTS_CRYPT_PASSPHRASE (512 | MASK_ERROR). */
const FAIL_EXISTS_CRYPT_PASSPHRASE = 512n | 0xc000000000000000n;
/** PASSPHRASE_ACCEPTED (4 | MASK_SUCCESS). */
const PASSPHRASE_ACCEPTED = 4n;
const HASH_ITERATIONS = 10_000;

interface CryptRec {
  salt: string;
  hash: string;
}

/** Stores whose passphrase was entered (or created) since this process started. */
const unlocked = new WeakSet<object>();

function cryptRec(ctx: EmulatorContext): CryptRec | undefined {
  return ctx.store.get<CryptRec>('controller', ['crypt']);
}

function hashOf(passphrase: string, salt: string): string {
  return pbkdf2Sync(passphrase, Buffer.from(salt, 'hex'), HASH_ITERATIONS, 32, 'sha512').toString('hex');
}

function matches(rec: CryptRec, passphrase: string): boolean {
  const a = Buffer.from(hashOf(passphrase, rec.salt), 'hex');
  const b = Buffer.from(rec.hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

function store(ctx: EmulatorContext, passphrase: string): void {
  const salt = randomBytes(16).toString('hex');
  ctx.store.put<CryptRec>('controller', ['crypt'], { salt, hash: hashOf(passphrase, salt) });
  ctx.store.afterCommit(() => unlocked.add(ctx.store));
}

/** `unset`, `locked` or `unlocked`. */
export function passphraseStatus(ctx: EmulatorContext): 'unset' | 'locked' | 'unlocked' {
  if (!cryptRec(ctx)) return 'unset';
  return unlocked.has(ctx.store) ? 'unlocked' : 'locked';
}

/** Throws FAIL_NOT_FOUND_CRYPT_KEY unless the master key is available (needed to store secrets). */
export function requireMasterKey(ctx: EmulatorContext, opObjMask: bigint): void {
  if (passphraseStatus(ctx) !== 'unlocked') {
    throw new ApiCallError(
      entry(
        FAIL_NOT_FOUND_CRYPT_KEY | opObjMask,
        'Unable to create encrypt key without having a master key',
        {
          cause: 'The masterkey was not initialized yet',
          correction: 'Create or enter the master passphrase',
        },
      ),
    );
  }
}

/** `POST` (create, no old passphrase) and `PUT` (modify) of the passphrase. */
export function setPassphrase(
  ctx: EmulatorContext,
  newPassphrase: unknown,
  oldPassphrase: unknown,
  modify: boolean,
): ApiCallRc[] {
  const mask = MASK_CTRL_CONF | (modify ? MASK_MOD : MASK_CRT);
  if (typeof newPassphrase !== 'string' || newPassphrase === '') {
    throw new ApiCallError(entry(FAIL_MISSING_PROPS | mask, 'The new passphrase must not be empty.'));
  }
  const rec = cryptRec(ctx);
  if (!modify) {
    if (rec) {
      throw new ApiCallError(
        entry(
          FAIL_EXISTS_CRYPT_PASSPHRASE | mask,
          'Could not create new crypt passphrase as it already exists',
          {
            cause: 'A passphrase was already defined',
            correction: 'Use the crypt-modify-passphrase command instead of crypt-create-passphrase',
          },
        ),
      );
    }
    store(ctx, newPassphrase);
    return [entry(CREATED | mask, 'Crypt passphrase created.')];
  }
  if (!rec) {
    throw new ApiCallError(
      entry(FAIL_EXISTS_CRYPT_PASSPHRASE | mask, 'Could not modify crypt passphrase as it does not exist', {
        cause: 'No passphrase was defined yet',
        correction: 'Use the crypt-create-passphrase command instead of crypt-modify-passphrase',
      }),
    );
  }
  if (typeof oldPassphrase !== 'string' || !matches(rec, oldPassphrase)) {
    throw new ApiCallError(
      entry(
        FAIL_MISSING_PROPS | mask,
        'Could not restore master passphrase as the given old passphrase was incorrect',
        { cause: 'Wrong passphrase', correction: 'Enter the correct passphrase' },
      ),
    );
  }
  store(ctx, newPassphrase);
  return [entry(MODIFIED | mask, 'Crypt passphrase updated')];
}

/** `PATCH`: enter the passphrase (the body is a JSON string). */
export function enterPassphrase(ctx: EmulatorContext, passphrase: unknown): ApiCallRc[] {
  const rec = cryptRec(ctx);
  if (!rec) {
    throw new ApiCallError(
      entry(
        MASK_CTRL_CONF | FAIL_MISSING_PROPS,
        'encrypted namespace is empty, you need to set a passphrase first',
      ),
    );
  }
  if (typeof passphrase !== 'string' || !matches(rec, passphrase)) {
    throw new ApiCallError(
      entry(
        MASK_MOD | MASK_CTRL_CONF | FAIL_MISSING_PROPS,
        'Could not restore master passphrase as the given old passphrase was incorrect',
        { cause: 'Wrong passphrase', correction: 'Enter the correct passphrase' },
      ),
    );
  }
  ctx.store.afterCommit(() => unlocked.add(ctx.store));
  return [entry(MASK_CTRL_CONF | PASSPHRASE_ACCEPTED, 'Passphrase accepted')];
}
