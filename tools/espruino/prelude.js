// Stand-ins for the peripherals Espruino's Linux build lacks, written to Storage as .boot0 so
// they exist before the firmware boots from .bootcde (tools/espruino/interpreter.ts).
// Only what a board has and Linux does not: never anything the firmware could come to rely on.
var NRF = {
  setServices: function () {},
  updateServices: function () {},
  setAdvertising: function () {},
  setSecurity: function () {},
  setConnectionInterval: function () {},
  disconnect: function () {},
  sleep: function () {},
  wake: function () {},
  getAddress: function () { return 'aa:bb:cc:dd:ee:ff random'; },
  on: function () {},
};
var LED1 = D5, LED2 = D4, LED3 = D3, BTN = D0, BTN1 = D0;
