/** Build-time constants set by tools/build.ts (esbuild define). Not Espruino globals. */
declare const __DEV__: boolean;
declare const __BOARD__: string;
