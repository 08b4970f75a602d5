/**
 * Numeric codes shared by the state machine, the audit log and the protocols: roles,
 * permissions, states, events and reasons. Plain numbers (terser inlines them) rather than enums.
 * docs/ARCHITECTURE.md lists them with their meaning; keep the two in step.
 */

// Roles (lower is more powerful)
export const ROLE_OWNER = 0;
export const ROLE_DRIVER = 1;
export const ROLE_GUEST = 2;

// Permission bits
export const PERM_UNLOCK = 1;
export const PERM_LOCK = 2;
export const PERM_DRIVE = 4;
/** Managing keys, time and settings: owners only, never granted to another role. */
export const PERM_MANAGE = 8;

// Key record flags (firmware/keystore.ts)
export const FLAG_DISABLED = 1;
export const FLAG_REVOKED = 2;
/** Enrolled through the window but not yet used: its phone may never have received its secret. */
export const FLAG_UNCONFIRMED = 4;

// Phone-key operations (docs/PROTOCOL.md; what each needs: firmware/access.ts opPermission)
export const OP_UNLOCK = 1;
export const OP_LOCK = 2;
export const OP_DRIVE = 3;
export const OP_ADD_KEY = 4;
export const OP_REVOKE = 5;
export const OP_LIST_KEYS = 6;
export const OP_READ_LOG = 7;
export const OP_SET_TIME = 8;
export const OP_SET_CONFIG = 9;
export const OP_STATUS = 10;
export const OP_REMOVE = 11;
export const OP_ENROL_CARD = 12;
/** Protocol v2: the board's revocation list (docs/KEYS-THAT-TRAVEL.md section 7). */
export const OP_GET_LIST = 13;

// Key kinds
export const KIND_PHONE = 0;
export const KIND_CARD = 1;
/** A card known only by its UID: cloneable, refused unless the `insecureUidCards` setting is on. */
export const KIND_UID_CARD = 2;

// States
export const S_LOCKED = 0;
export const S_UNLOCKED = 1;
export const S_ENROLLING = 2;
export const S_FAULT = 3;

// Events (also the audit log's event field; < 128)
export const EV_BOOT = 1;
export const EV_UNLOCK = 2;
export const EV_LOCK = 3;
export const EV_RELOCK_TIMER = 4;
export const EV_DOOR_OPEN = 5;
export const EV_DOOR_CLOSE = 6;
export const EV_ENROL_OPEN = 7;
export const EV_ENROL_DONE = 8;
export const EV_ENROL_TIMEOUT = 9;
export const EV_ERROR = 10;
export const EV_FAULT_RECOVER = 11;
export const EVENT_COUNT = 12;
// Decisions and other log-only records (not state machine events)
export const LOG_DENIED = 20;
export const LOG_GRANTED = 21;
export const LOG_KEY_ADDED = 22;
export const LOG_KEY_REVOKED = 23;
export const LOG_KEY_CHANGED = 24;
export const LOG_CLOCK_SET = 25;
/** Reserved: written by earlier firmware's lockouts (old logs still hold it), never by this one. */
export const LOG_LOCKOUT = 26;
export const LOG_DRIVE_ON = 27;
/** Reserved: this firmware never writes it; kept because docs/PROTOCOL.md lists it and tools/host/names.ts names it. */
export const LOG_DRIVE_OFF = 28;
export const LOG_OUTPUT_GUARD = 29;
export const LOG_CONFIG = 30;
export const LOG_INSECURE_CARD = 31;
/** Reserved: this firmware never writes it; kept because docs/PROTOCOL.md lists it and tools/host/names.ts names it. */
export const LOG_STORE_ERROR = 32;
/** A burst of unproven failures, one entry (firmware/failures.ts; layout in firmware/auditlog.ts). */
export const LOG_FAILURES = 33;
/** The relay reached its continuous-on cap: forced off, then rests (firmware/outputs.ts). */
export const LOG_RELAY_REST = 34;

// Reasons
export const R_OK = 0;
export const R_UNKNOWN_KEY = 1;
export const R_REVOKED = 2;
export const R_NOT_YET_VALID = 3;
export const R_EXPIRED = 4;
export const R_TIME_UNKNOWN = 5;
export const R_BAD_MAC = 6;
export const R_REPLAY = 7;
export const R_EXPIRED_COMMAND = 8;
/** Reserved: never sent (no lockout exists); kept so old clients and logs still decode it. */
export const R_LOCKED_OUT = 9;
export const R_NOT_PERMITTED = 10;
/** Reserved: this firmware never sends it; kept because docs/PROTOCOL.md lists it and tools/host/names.ts names it. */
export const R_BUSY = 11;
export const R_DISABLED = 12;
export const R_OUTSIDE_WINDOW = 13;
export const R_IGNORED = 14;
export const R_LAST_OWNER = 15;
export const R_FULL = 16;
export const R_EXISTS = 17;
export const R_STORAGE = 18;
export const R_BAD_INPUT = 19;
export const R_INSECURE_CARD = 20;
export const R_TIMEOUT = 21;
export const R_ERROR = 22;
export const R_NO_WINDOW = 23;
// Protocol v2 (docs/KEYS-THAT-TRAVEL.md)
/** The peer speaks no protocol version the board does. */
export const R_VERSION = 24;
/** A ticket or revocation list that does not name this board. */
export const R_WRONG_BOARD = 25;
/** The board already holds as many live tickets as its owner allows. */
export const R_TOO_MANY_TICKETS = 26;
