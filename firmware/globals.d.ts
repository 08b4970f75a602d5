/** Build-time constants set by tools/build.ts (esbuild define). Not Espruino globals. */
/** package.json's version (tools/release.ts); undefined when firmware code runs from source in a test. */
declare const __VERSION__: string;
declare const __DEV__: boolean;
declare const __BOARD__: string;
/** The board's Espruino build has AES (hal/boards/*.ts): the JS fallback is left out of the bundle. */
declare const __HAS_AES__: boolean;
/** Keycard support is in this build (hal/boards/*.ts `nfc`). */
declare const __NFC__: boolean;
/** The board has the tiled Storage layout (board.tile): without it the build drops the pad and tile code. Undefined outside a bundle (tests): true. */
declare const __TILED__: boolean;
/** The build can turn blank DESFire cards into ours (hal/boards/*.ts `personaliseCards`). */
declare const __PERSONALISE__: boolean;
/** Protocol v2 is in this build (hal/boards/*.ts `travel`); firmware reads it as build-flags.ts TRAVEL. */
declare const __TRAVEL__: boolean;
