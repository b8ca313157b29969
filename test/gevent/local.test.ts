// gevent's test__local.py, translated to nodevent's `local()` (a Proxy whose properties are per
// greenlet) and `Local` (one value per greenlet). Not ported, because they test Python's object
// model rather than greenlet-locality: slots, descriptors, __dict__ assignment, class attributes
// and subclass initialisers (test_slot_and_type_attributes, test_cannot_set_delete_dict,
// test_class_attr*, test_local_with_abc/staticmethod/classmethod, test_create_local_subclass_init_args,
// test_getattr_called), copy.copy (test_copy*), zope.interface (test_provides) and the C-extension
// checks.
import t from 'tap';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Local, local, sleep, spawn } from '../../src/runtime/index.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

// V8 may keep the very last object a loop made reachable a little longer (a plain WeakMap shows
// the same), so "all collected" is asserted as "all but at most one".
async function collect(until: () => boolean): Promise<void> {
  for (let i = 0; i < 20 && !until(); i++) {
    gc();
    await sleep(0.001); // FinalizationRegistry callbacks run on a later turn
  }
}

t.test('test__local.py::TestGeventLocal::test_local_opts_not_subclassed', async (t) => {
  const l = local<{ attr?: number }>();
  l.attr = 1;
  t.equal(l.attr, 1);
});

t.test('test__local.py::TestGeventLocal::test_delete_with_no_dict / test_attribute_error', async (t) => {
  const l = local<{ thing?: number; fizz?: number }>();
  t.equal(delete l.thing, true, 'deleting a missing property is not an error in JavaScript');
  await spawn(() => { l.fizz = 1; });
  t.equal(l.fizz, undefined, "another greenlet's property is not seen here");
});

t.test('test__local.py::TestGeventLocal::test_objects (each greenlet its own values)', async (t) => {
  const a = local<{ path?: string }>();
  a.path = '123';
  const seen = await spawn(() => {
    const before = a.path;
    a.path = '321';
    return [before, a.path];
  });
  t.same(seen, [undefined, '321']);
  t.equal(a.path, '123');
});

t.test('test__local.py::TestGeventLocal::test_locals_collected_when_greenlet_dead_but_still_referenced', async (t) => {
  const deleted = new Set<number>();
  const registry = new FinalizationRegistry<number>((id) => deleted.add(id));
  const myLocal = new Local<object>(() => ({}));
  let created = 0;
  const greenlets = Array.from({ length: 5 }, () => spawn(() => {
    registry.register(myLocal.value, created++);
  }));
  for (const g of greenlets) await g.join();
  t.equal(created, 5);
  t.ok(greenlets.every((g) => g.dead));
  await collect(() => deleted.size >= 4);
  t.ok(deleted.size >= 4, 'the values of dead greenlets are collected while the greenlets are still referenced');
});

t.test('test__local.py::TestGeventLocal::test_locals_collected_when_unreferenced_even_in_running_greenlet (issue 13 item 8)', async (t) => {
  const count = 1000;
  const deleted = new Set<number>();
  const registry = new FinalizationRegistry<number>((id) => deleted.add(id));
  const g = spawn(async () => {
    for (let i = 0; i < count; i++) {
      const x = new Local<object>(() => ({}));
      registry.register(x.value, i);
    }
    await collect(() => deleted.size >= count - 1);
    return deleted.size;
  });
  t.ok(await g >= count - 1, 'every value collected while the greenlet still runs');
});

t.test('test__local.py: locals used outside any greenlet are collected too', async (t) => {
  const deleted = new Set<number>();
  const registry = new FinalizationRegistry<number>((id) => deleted.add(id));
  for (let i = 0; i < 100; i++) {
    const x = new Local<object>(() => ({}));
    registry.register(x.value, i);
  }
  await collect(() => deleted.size >= 99);
  t.ok(deleted.size >= 99);
});

t.test('test__local.py::TestGeventLocal::test_local_dicts_for_greenlet', async (t) => {
  const l = new Local<string>();
  const values = await Promise.all(['a', 'b', 'c'].map((v) => spawn(async () => {
    l.value = v;
    await sleep(0);
    return l.value;
  }).get()));
  t.same(values, ['a', 'b', 'c']);
  t.equal(l.has(), false, 'nothing set outside the greenlets');
});
