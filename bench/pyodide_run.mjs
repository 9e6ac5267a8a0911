// Run a Python script inside the site's Pyodide (0.27.7) under Node, with numpy and pynn.
//
//   node bench/pyodide_run.mjs [--src DIR] [--index DIR --packages a,b] SCRIPT.py [ARGS...]
//
// --index: another Pyodide 0.27.7 index than site/pyodide/ (a copy of it whose lock lists packages
// the site does not ship, each with its sha256, which Pyodide checks); --packages: loaded first.
// pynn comes from the site's wheel (site/pyodide/pynn-*.whl, rebuilt by `python3 build.py`),
// or with --src from the .py files of DIR/pynn, and of any other package folder in DIR
// (quick iteration without a rebuild; A/B comparisons with a renamed copy).
// The MNIST splits in site/data/ and the models in site/models/ (.npz) are copied to /data/ in
// Pyodide's file system, and
// SCRIPT runs as __main__ with sys.argv = [SCRIPT, ...ARGS]. Its output goes to stdout.

import { readFileSync, readdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SITE = join(ROOT, "site");

const args = process.argv.slice(2);
const flags = { src: null, index: join(SITE, "pyodide"), packages: "" };
while (args[0]?.startsWith("--") && args[0].slice(2) in flags) {
  flags[args[0].slice(2)] = args[1];
  args.splice(0, 2);
}
const src = flags.src && resolve(flags.src);
const indexDir = resolve(flags.index);
const { loadPyodide } = await import(join(indexDir, "pyodide.mjs"));
if (!args.length) {
  console.error("usage: node bench/pyodide_run.mjs [--src DIR] [--index DIR --packages a,b] SCRIPT.py [ARGS...]");
  process.exit(2);
}
const [script, ...scriptArgs] = args;

const pyodide = await loadPyodide({ indexURL: indexDir + "/" });
await pyodide.loadPackage(src ? ["numpy"] : ["numpy", "pynn"], { messageCallback: () => {} });
if (flags.packages) {
  const started = performance.now();
  await pyodide.loadPackage(flags.packages.split(","), { messageCallback: () => {} });
  console.log(`loaded ${flags.packages} (and what they depend on) in ${((performance.now() - started) / 1000).toFixed(2)} s`);
}
if (src) {
  const packages = readdirSync(src, { withFileTypes: true })
    .filter((d) => d.isDirectory() && readdirSync(join(src, d.name)).includes("__init__.py"));
  for (const { name: pkg } of packages) {
    // recursive: pynn's rooms (nets/, training/, ...) are packages of their own
    for (const file of readdirSync(join(src, pkg), { recursive: true }).filter((n) => n.endsWith(".py"))) {
      pyodide.FS.mkdirTree(`/src/${pkg}/${dirname(file)}`);
      pyodide.FS.writeFile(`/src/${pkg}/${file}`, readFileSync(join(src, pkg, file)));
    }
  }
}
pyodide.FS.mkdirTree("/data");
for (const name of readdirSync(join(SITE, "data")).filter((n) => n.endsWith(".npz"))) {
  pyodide.FS.writeFile(`/data/${name}`, readFileSync(join(SITE, "data", name)));
}
for (const name of readdirSync(join(SITE, "models")).filter((n) => n.endsWith(".npz"))) {
  pyodide.FS.writeFile(`/data/${name}`, readFileSync(join(SITE, "models", name)));
}
pyodide.FS.mkdirTree("/bench");
pyodide.FS.writeFile(`/bench/${basename(script)}`, readFileSync(script));
pyodide.globals.set("SCRIPT_ARGV", pyodide.toPy([`/bench/${basename(script)}`, ...scriptArgs]));
pyodide.globals.set("SRC", src ? "/src" : null);
try {
  await pyodide.runPythonAsync(`
import runpy, sys
if SRC:
    sys.path.insert(0, SRC)
sys.path.insert(0, "/bench")
sys.argv = list(SCRIPT_ARGV)
runpy.run_path(sys.argv[0], run_name="__main__")
`);
} catch (error) {
  console.error(String(error));
  process.exit(1);
}
