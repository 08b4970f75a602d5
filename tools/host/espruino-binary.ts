/**
 * Where the real Espruino interpreter built for Linux is: the binary named by ESPRUINO_BIN, or
 * undefined when none is set (tests that need it then skip with a message; the simulator's second
 * engine refuses to start).
 */
export function espruinoBinary(): string | undefined {
  const bin = process.env.ESPRUINO_BIN;
  return bin && bin.trim() ? bin.trim() : undefined;
}
