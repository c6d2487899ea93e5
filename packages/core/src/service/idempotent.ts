/**
 * Creating something whose reply may say "already exists" or may be lost, settled by reading the
 * state rather than by guessing (the pattern of linstor-csi's reconcile steps).
 */

import { LinstorApiError, OutcomeUnknownError } from '@linstor-hv/client';

/** What `adopt` returns after removing a dead leftover it found: the create is sent once more. */
export const CREATE_AGAIN: unique symbol = Symbol('create again');

/** The steps of {@link createOrAdopt}. */
export interface CreateOrAdoptSteps<T, S> {
  /** Sends the create; its result is the result of the whole step. */
  create(): Promise<T>;
  /** The ret_code that means "it exists" (a FAIL_EXISTS_* code); without it only lost replies are settled. */
  readonly exists?: bigint;
  /**
   * Reads what is there now; undefined when the create has not taken effect (or when that cannot
   * be told and sending the create again does no harm).
   */
  read(): Promise<S | undefined>;
  /**
   * Decides about what is there: returns the result of taking it over when it is ours (it carries
   * our tags, or our attempt id), throws a typed error saying whose it is, or removes a dead
   * leftover and returns {@link CREATE_AGAIN}.
   */
  adopt(found: S, refusal: unknown): Promise<T | typeof CREATE_AGAIN> | T | typeof CREATE_AGAIN;
}

/**
 * Creates, and on "already exists" or a lost reply (`OutcomeUnknownError`) reads the state and
 * adopts only what `adopt` accepts as ours. When the state shows the create did not take effect, it
 * is sent once more (a lost request is safe to repeat), as it is when `adopt` removed a dead
 * leftover; a refusal "exists" for something that is gone again when read is reported as it is.
 * The create is sent at most twice; the second one's failure is final.
 */
export async function createOrAdopt<T, S>(steps: CreateOrAdoptSteps<T, S>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await steps.create();
    } catch (error) {
      const exists =
        steps.exists !== undefined && error instanceof LinstorApiError && error.has(steps.exists);
      if (!exists && !(error instanceof OutcomeUnknownError)) throw error;
      const found = await steps.read();
      if (found === undefined) {
        if (exists || attempt > 0) throw error;
        continue;
      }
      const adopted = await steps.adopt(found, error);
      if (adopted !== CREATE_AGAIN) return adopted;
      if (attempt > 0) throw error;
    }
  }
}
