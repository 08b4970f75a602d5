import { createCar } from './sim/car';
import { createVehicle } from './sim/vehicle';
(async () => {
  const car = await createCar({ board: 'puckjs-nfc', demo: true });
  const v = createVehicle(car, {});
  for (const c of Object.keys(car.cards).concat(Object.keys(car.cards))) {
    const before = v.snapshot().log[0]?.seq ?? -1;
    console.log(v.act({ do: 'tap', card: c }));
    console.log(v.snapshot().log.filter((l) => l.seq > before).map((l) => `${l.event}/${l.reason}: ${l.text}`));
    console.log(v.snapshot().leds, v.snapshot().state);
  }
  v.act({do:'advance', ms: 60000});
  const t0 = Date.now(); console.log(v.act({ do: 'advance', ms: 86400000 }), Date.now() - t0, 'ms');
})();
