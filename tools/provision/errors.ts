/** A user-facing failure of provisioning or flashing: the CLI prints its message and exits non-zero. Browser-safe. */
export class ProvisionError extends Error {}
