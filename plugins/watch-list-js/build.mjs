// Builds plugin.js into a WebAssembly component with componentize-js.
//
//   node build.mjs [WIT] [OUT]
//
// WIT: the WIT folder (default ../../crates/cartouche-rules/wit, relative to this script);
// OUT: the component to write (default watch-list-js.wasm next to this script). The
// target world is `plugin`.
//
// WASI features: the defaults of componentize-js (stdio, random, clocks, http, fetch-event)
// except `http` and `fetch-event`. With them the component imports wasi:http/types and
// wasi:http/outgoing-handler, which Cartouche refuses at publication (its deterministic
// WASI layer gives cli, clocks, filesystem, io, random and sockets, no HTTP). `stdio` is
// kept so that an uncaught error is printed (the host shows it with the trap); `random` and
// `clocks` are kept as they cost nothing measurable (the host makes them deterministic).
// Figures for each choice are in README.md.

import { componentize } from '@bytecodealliance/componentize-js';
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const witPath = resolve(process.argv[2] ?? resolve(here, '../../crates/cartouche-rules/wit'));
const out = resolve(process.argv[3] ?? resolve(here, 'watch-list-js.wasm'));

const started = process.hrtime.bigint();
const { component } = await componentize({
  sourcePath: resolve(here, 'plugin.js'),
  witPath,
  worldName: 'plugin',
  disableFeatures: ['http', 'fetch-event'],
});
await writeFile(out, component);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(`wrote ${out}: ${component.length} bytes in ${seconds.toFixed(1)} s`);
