/**
 * What Espruino 2v29 on an nRF52 does with the radio, as numbers the simulator's radio (nrf.ts)
 * uses, each with where it comes from in Espruino's source (/tmp/esp-src; docs/ESPRUINO.md
 * "The radio"). Per board: the MTU cap. The rest is the same on every board we build for.
 * Not here: the behaviour itself (nrf.ts).
 */
import type { BoardConfig } from '../../hal/boards/types';
import { espruinoBoard } from '../../hal/boards/espruino';

export interface RadioModel {
  /**
   * Largest ATT MTU the board accepts in an exchange: the peer gets min(max(23, asked), this)
   * (targets/nrf5x/bluetooth.c, BLE_GATTS_EVT_EXCHANGE_MTU_REQUEST). Puck.js and MDBT42Q:
   * NRF_BLE_MAX_MTU_SIZE=53 (boards/PUCKJS.py, boards/MDBT42Q.py); nRF52840 boards:
   * NRF_SDH_BLE_GATT_MAX_MTU_SIZE=131 (boards/NRF52840DK.py, boards/XIAOBLE.py).
   */
  mtuMax: number;
  /**
   * Notifications the SoftDevice holds before it answers "resources"/"no TX packets", which
   * NRF.updateServices ignores (libs/bluetooth/jswrap_bluetooth.c, after sd_ble_gatts_hvx).
   * Espruino never sets hvn_tx_queue_size, so S140/S132 v5+ use BLE_GATTS_HVN_TX_QUEUE_SIZE_DEFAULT,
   * 1. (Puck.js/MDBT42Q run S132 v3.1 with its default peripheral bandwidth; its packet count is
   * not in the sources we have: we model the same 1, the worst case.)
   */
  txQueue: number;
  /**
   * Connection interval in ms: the central decides; Espruino asks for 7.5 ms on connect and after
   * activity (BLE_DYNAMIC_INTERVAL_HIGH_RATE) and 200 ms after 30 s idle (targets/nrf5x/bluetooth.c).
   */
  intervalMs: number;
  /**
   * Espruino's event queue in bytes (IOBUFFERMASK+1: 1024 on every NRF52, scripts/build_platform_config.py).
   * A characteristic write is one event of 2 + 3 + length bytes (src/jsdevices.c jshPushEvent,
   * libs/bluetooth/bluetooth_utils.c jsble_queue_pending_buf), dropped when it does not fit.
   */
  eventQueueBytes: number;
}

/** Defaults for a board whose facts we do not know (the smallest MTU cap). */
export const DEFAULT_RADIO: RadioModel = { mtuMax: 53, txQueue: 1, intervalMs: 7.5, eventQueueBytes: 1024 };

/** Bytes jshGetIOCharEventsFree() keeps spare ("be sensible - leave a little spare", src/jsdevices.c). */
export const EVENT_SLACK = 4;

/** Bytes one characteristic write of `len` bytes takes in the event queue (length, type, BLEP header, data). */
export function writeEventBytes(len: number): number {
  return 2 + 3 + len;
}


/** The radio facts of a board (a fresh copy: tests may change it per car). */
export function radioModelFor(board: BoardConfig): RadioModel {
  // The cap is each build's NRF_SDH_BLE_GATT_MAX_MTU_SIZE, from the board facts (hal/boards/espruino.ts).
  return { ...DEFAULT_RADIO, mtuMax: espruinoBoard(board.id).maxMtu || DEFAULT_RADIO.mtuMax };
}
