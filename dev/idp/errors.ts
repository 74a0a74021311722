/** Errors of the Keycloak look-alike: one class, one stable code per failure. */

/** Every error code the look-alike throws. */
export type DevIdpErrorCode =
  | 'ERR_DEV_IDP_NOT_LOOPBACK'
  | 'ERR_DEV_IDP_BAD_OPTIONS'
  | 'ERR_DEV_IDP_UNKNOWN_USER'
  | 'ERR_DEV_IDP_TOKEN_REQUEST'
  | 'ERR_DEV_IDP_CLOSED';

/** An error of the look-alike with a stable code; the message names exactly what failed. */
export class DevIdpError extends Error {
  /** Stable code. */
  readonly code: DevIdpErrorCode;

  constructor(code: DevIdpErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DevIdpError';
    this.code = code;
  }
}
