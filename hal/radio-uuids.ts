/** The phone-key GATT service and its characteristics (128-bit UUIDs). Shared by the driver, the simulator and the clients. */
export const SERVICE_UUID = 'f3c1a000-7b5c-4c2e-9e31-6b6579636b31';
/** Phone -> board: write. */
export const RX_UUID = 'f3c1a001-7b5c-4c2e-9e31-6b6579636b31';
/** Board -> phone: notify. */
export const TX_UUID = 'f3c1a002-7b5c-4c2e-9e31-6b6579636b31';
