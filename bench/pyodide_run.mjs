// Run a Python script inside the site's Pyodide (0.27.7) under Node, with numpy and pynn.
//
//   node bench/pyodide_run.mjs [--src DIR] SCRIPT.py [ARGS...]
//
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
const { loadPyodide } = await import(join(SITE, "pyodide", "pyodide.mjs"));

const args = process.argv.slice(2);
let src = null;
if (args[0] === "--src") {
  src = resolve(args[1]);
  args.splice(0, 2);
}
if (!args.length) {
  console.error("usage: node bench/pyodide_run.mjs [--src DIR] SCRIPT.py [ARGS...]");
  process.exit(2);
}
const [script, ...scriptArgs] = args;

const pyodide = await loadPyodide({ indexURL: join(SITE, "pyodide") + "/" });
await pyodide.loadPackage(src ? ["numpy"] : ["numpy", "pynn"], { messageCallback: () => {} });
if (src) {
  const packages = readdirSync(src, { withFileTypes: true })
    .filter((d) => d.isDirectory() && readdirSync(join(src, d.name)).includes("__init__.py"));
  for (const { name: pkg } of packages) {
    pyodide.FS.mkdirTree(`/src/${pkg}`);
    for (const name of readdirSync(join(src, pkg)).filter((n) => n.endsWith(".py"))) {
      pyodide.FS.writeFile(`/src/${pkg}/${name}`, readFileSync(join(src, pkg, name)));
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
