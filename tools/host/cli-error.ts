/** A user-facing failure: its message is printed as is, without a stack. Browser-safe (the flasher page throws it too). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) { super(message); }
}
