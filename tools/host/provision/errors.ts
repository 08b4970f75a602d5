/** A user-facing failure of provisioning or flashing: the CLI prints its message and exits non-zero. Browser-safe. */
import { CliError } from '../cli-error';

export class ProvisionError extends CliError {}
