/** Shared by the fleet tests: the weakest KDF the site file accepts, so registries open quickly. */
export const FAST_KDF = { name: 'scrypt' as const, N: 1 << 14, r: 8, p: 1 };
