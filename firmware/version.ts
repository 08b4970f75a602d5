/** The release version, put in by the build (package.json's); 'source' when run unbuilt in a test. */
export const FIRMWARE_VERSION: string = typeof __VERSION__ === 'string' ? __VERSION__ : 'source';
