// The board side of the real-interpreter engine (sim/espruino/board.ts), stored as .boot0 so it
// runs before the firmware boots from .bootcde. The firmware, Storage, crypto, E.* and the
// language are the interpreter's own; only what a board has and Linux lacks, or what must follow
// the simulator's virtual clock, is replaced here, and every such call is reported to Node:
//   pins (digitalWrite/Read, pinMode, setWatch), timers and getTime (virtual time), E.hwRand
//   (seeded per boot), the watchdog, print/console.log, the NRF radio, I2C1, and Storage.write,
//   Flash.write and Flash.erasePage (counted, so a power cut can fall on the n-th write). Only the members the firmware uses
//   are here (each function costs about 10 variables): a bundle that calls another one fails.
// Link: lines to the FIFO "r" (one char says what, the rest is data), messages from Node read
// from the FIFO "c" (JavaScript, evaluated). "?" means "waiting for a message". Node answers the
// requests H (hello), g (security status), u (notify), i/r (I2C write/read) with a value; an
// Error answer is thrown where the board's own call would throw. Must not: decide anything for the firmware, or keep more
// than it needs (it runs inside the board's variable budget and is measured with it).
(function () {
  var fs = require("fs"), S = require("Storage"), realTimeout = setTimeout, realPrint = print;
  // Pins 0..47 in typed arrays (a few variables each, whatever is driven): OUT and IN are -1 where
  // nothing drives the pin; MODE is 0 unset, 1 output, 2 opendrain, 3 input_pullup, 4 other input.
  var OUT = new Int8Array(48).fill(-1), IN = new Int8Array(48).fill(-1), MODE = new Uint8Array(48);
  var T = [], W = [], F = [], stop = 0, now, bootAt, off = 0, seed, cut = 0, probe = 0;
  var emit = function (line, stops) { if (stops) stop = 1; fs.writeFileSync("r", line + "\n"); };
  // The highest usage seen (garbage included) at every question and every answer: Node reads it from "=".
  var peak = 0, sample = function () { var u = process.memory(false).usage; if (u > peak) peak = u; };
  var ask = function (line) {
    sample();
    if (probe) probe("ask " + line.slice(0, 24));
    emit(line + "\n?", 1);
    var v = eval(fs.readFileSync("c"));
    if (v instanceof Error) throw v;
    return v;
  };
  var run = function (f, a) { try { f.apply(undefined, a); } catch (e) { emit("!Uncaught " + e); } };
  var time = function () { return (now - bootAt) / 1000 + off; };
  var level = function (p) {
    if (IN[p] >= 0) return IN[p];
    var m = MODE[p];
    if (m == 1 || m == 2 || (!m && OUT[p] >= 0)) return OUT[p] > 0 ? 1 : 0;
    return m == 3 ? 1 : 0;
  };
  var hello = ask("H"), ballast = hello.b > 0 ? new Uint8Array(hello.b * 13) : 0;
  now = bootAt = hello.n; seed = hello.s | 0 || 1;
  // The board's button (Espruino's BTN1) and the debounce setWatch gives it by default (25 ms).
  var btn = hello.k, btnDebounce = hello.q;
  for (var p in hello.i) IN[p] = hello.i[p];
  // The memory probe (tools/benchmarks/memory.ts), only when Node asks for it: after a garbage
  // collection, the live usage at every Storage write and host question to the console, and all
  // variables (E.dumpVariables) at each new highest. It makes collections more frequent.
  if (hello.m) {
    var high = 0;
    probe = function (why) {
      var u = process.memory().usage;
      realPrint("@@U " + u + " " + why);
      if (u > high) { high = u; realPrint("@@DUMP " + u + " " + why); E.dumpVariables(); realPrint("@@END"); }
    };
  }
  hello = 0;

  var addTimer = function (f, ms, every) {
    if (typeof f != "function") throw new Error("Function or String not supplied!");
    var id = 1, k, d = +ms;
    for (k = 0; k < T.length; k++) if (T[k].i >= id) id = T[k].i + 1;
    if (!(d >= 0.1)) d = 0.1;
    T.push({ i: id, d: now + d, f: f, v: every ? d : undefined });
    return id;
  };
  // Espruino: clearTimeout() with no argument clears every timer, clearTimeout(undefined) throws.
  var clearTimer = function () {
    if (!arguments.length) { T = []; return; }
    var id = arguments[0];
    if (id === undefined) throw new Error("clearTimeout(undefined) not allowed. Use clearTimeout() instead");
    for (var k = 0; k < T.length; k++) if (T[k].i == id) { T.splice(k, 1); return; }
  };
  global.setTimeout = function (f, ms) { return addTimer(f, ms, 0); };
  global.setInterval = function (f, ms) { return addTimer(f, ms, 1); };
  global.clearTimeout = global.clearInterval = clearTimer;
  global.getTime = time;
  global.setTime = function (s) { off = +s - (now - bootAt) / 1000; emit("T" + off); };

  global.digitalWrite = function (p, v) {
    if (MODE[p] != 2) MODE[p] = 1;
    v = v ? 1 : 0;
    if (OUT[p] !== v) { OUT[p] = v; emit("o" + p + " " + v, 1); }
  };
  global.digitalRead = level;
  global.pinMode = function (p, m) {
    MODE[p] = m == "output" ? 1 : m == "opendrain" ? 2 : m == "input_pullup" ? 3 : 4;
    emit("m" + p + " " + m);
  };
  // As src/jswrap_io.c: on the button, edge 'rising' and a 25 ms debounce unless the options say.
  global.setWatch = function (f, p, o) {
    o = typeof o == "object" && o ? o : { repeat: !!o };
    var id = 1, b = p == btn;
    for (var k = 0; k < W.length; k++) if (W[k].i >= id) id = W[k].i + 1;
    W.push({ i: id, p: p, f: f, r: !!o.repeat, e: o.edge == "rising" ? 1 : o.edge == "falling" ? 0 : o.edge == "both" || !b ? 2 : 1, s: level(p),
      d: o.debounce === undefined ? (b ? btnDebounce : 0) : o.debounce > 0 ? +o.debounce : 0 });
    return id;
  };
  var fire = function (w, v, t) {
    var last = w.l;
    w.l = t;
    w.s = !!v;
    if (w.e != 2 && w.e != v) return;
    if (!w.r) W.splice(W.indexOf(w), 1);
    run(w.f, [{ state: !!v, time: t, lastTime: last, pin: w.p }]);
  };
  // Debounce as src/jsinteractive.c: every edge restarts the wait; when it ends, the watch fires
  // if the level then differs from the last one it reported, with the time of the last edge.
  var settle = function (w, t) {
    if (w.t) clearTimer(w.t);
    w.t = addTimer(function () { w.t = 0; var v = level(w.p); if (W.indexOf(w) >= 0 && !!v != w.s) fire(w, v, t); }, w.d, 0);
  };

  E.hwRand = function () { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return seed; };
  E.enableWatchdog = function (s, auto) { emit("w" + s + " " + (auto === undefined || auto ? 1 : 0), 1); };
  E.kickWatchdog = function () { emit("k"); };
  var say = function () {
    var t = "";
    for (var k = 0; k < arguments.length; k++) t += (k ? " " : "") + (typeof arguments[k] == "string" ? arguments[k] : JSON.stringify(arguments[k]));
    emit("p" + JSON.stringify(t));
  };
  global.print = say;
  console.log = say;

  var write = S.write;
  S.write = function (n, d, o, z) {
    if (probe) probe("write " + n);
    if (cut && --cut[0] <= 0) {
      d = typeof d == "string" ? d : E.toString(d);
      var keep = d.substr(0, Math.floor(d.length * cut[1]));
      cut = 0;
      if (o) { if (keep.length) write.call(S, n, keep, o); } else write.call(S, n, keep, 0, z || d.length);
      emit("c", 1);
      for (;;) fs.readFileSync("c");
    }
    return write.call(S, n, d, o, z);
  };

  // The journal's flash steps (hal/espruino/journal.ts, require("Flash")): counted with the Storage
  // writes, so a power cut can fall on them too (a write keeps a prefix; an erase all or nothing).
  var Fl = require("Flash"), fw = Fl.write, fe = Fl.erasePage;
  var fcut = function (f) { var k = cut[1]; cut = 0; f(k); emit("c", 1); for (;;) fs.readFileSync("c"); };
  Fl.write = function (d, a) {
    if (probe) probe("write flash");
    if (cut && --cut[0] <= 0) fcut(function (k) { d = typeof d == "string" ? d : E.toString(d); if (k * d.length >= 1) fw.call(Fl, d.substr(0, Math.floor(d.length * k)), a); });
    return fw.call(Fl, d, a);
  };
  Fl.erasePage = function (a) {
    if (cut && --cut[0] <= 0) fcut(function (k) { if (k >= 0.5) fe.call(Fl, a); });
    return fe.call(Fl, a);
  };

  I2C1.setup = function () { emit("I"); };
  I2C1.writeTo = function (a) {
    ask("i" + a + " " + btoa(E.toString(E.toUint8Array([].slice.call(arguments, 1)))));
  };
  I2C1.readFrom = function (a, n) { return ask("r" + a + " " + n); };

  global.NRF = {
    setServices: function (s, o) {
      var out = {}, su, cu, k;
      for (su in s) {
        out[su] = {};
        for (cu in s[su]) {
          var d = s[su][cu], c = {};
          for (k in d) c[k] = typeof d[k] == "function" ? F.push(d[k]) - 1 : d[k];
          out[su][cu] = c;
        }
      }
      emit("s" + JSON.stringify({ s: out, o: o || {} }));
      // The real NRF.setServices keeps the table it was given (hiddenRoot BLE_SVC_D, to apply it
      // again after a restart), so it stays in the firmware's share here too.
      F.svc = s;
    },
    updateServices: function (u) { ask("u" + JSON.stringify(u)); },
    setSecurity: function (o) { emit("y" + JSON.stringify(o)); },
    getSecurityStatus: function () { return ask("g"); },
    disconnect: function () { emit("x", 1); },
    on: function (ev, f) { emit("h" + ev + " " + (F.push(f) - 1)); },
  };

  // What Node calls. a(limit): run due timers up to `limit` ms in time and id order, returning
  // early after a callback that did something Node must answer before time moves on.
  global.__sim = {
    a: function (limit) {
      for (;;) {
        var b = -1, k;
        for (k = 0; k < T.length; k++) if (T[k].d <= limit && (b < 0 || T[k].d < T[b].d || (T[k].d == T[b].d && T[k].i < T[b].i))) b = k;
        if (b < 0) { now = limit; return [now, 1]; }
        var t = T[b];
        if (t.d > now) { now = t.d; emit("t" + now); }
        if (t.v === undefined) T.splice(b, 1); else t.d += t.v;
        stop = 0;
        run(t.f, []);
        if (stop) return [now, 0];
      }
    },
    c: function (id, a) { run(F[id], a); },
    i: function (p, v) {
      var was = level(p);
      IN[p] = v;
      if (was == v) return;
      var list = W.slice();
      for (var k = 0; k < list.length; k++) {
        var w = list[k];
        if (w.p != p || W.indexOf(w) < 0) continue;
        if (w.d > 0) settle(w, time()); else fire(w, v, time());
      }
    },
    n: function () { var d = -1; for (var k = 0; k < T.length; k++) if (d < 0 || T[k].d < d) d = T[k].d; return [T.length, d]; },
    x: function (n, keep) { cut = [n, keep]; },
    W: write,
    P: realPrint,
  };

  var serve = function () {
    emit("?");
    var c = fs.readFileSync("c"), v;
    try { v = JSON.stringify(eval(c)); } catch (e) { emit("!Uncaught " + e); }
    sample();
    emit("=" + peak + " " + v);
    realTimeout(serve, 0);
  };
  realTimeout(serve, 0);
})();
