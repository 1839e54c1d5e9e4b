// Bundle the admin's script editor (src/editor.js and CodeMirror 6) into one
// file under static/, with the licences of everything bundled beside it.
// Run by `make editor`; the output is committed, so `make run` needs no node.
import { build } from "esbuild";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "static", "scripthost", "editor");

const result = await build({
  entryPoints: [join(here, "src", "editor.js")],
  bundle: true,
  format: "iife",
  minify: true,
  target: ["es2020"],
  legalComments: "none",
  metafile: true,
  outfile: join(out, "editor.js"),
  // No source map or build time in the output: the same lock gives the same bytes.
  banner: { js: "/* scripthost editor: CodeMirror 6 bundle, built by frontend/build.mjs; licences in THIRD_PARTY_LICENSES.txt */" },
});

// One licence file for every package whose code is in the bundle.
const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (match) packages.add(match[1]);
}
const sections = [];
for (const name of [...packages].sort()) {
  const dir = join(here, "node_modules", name);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const file = ["LICENSE", "LICENSE.md", "LICENSE.txt"].map((f) => join(dir, f)).find(existsSync);
  const text = file ? readFileSync(file, "utf8").trim() : `License: ${pkg.license}`;
  sections.push(`${name}@${pkg.version} (${pkg.license})\n\n${text}\n`);
}
writeFileSync(
  join(out, "THIRD_PARTY_LICENSES.txt"),
  "Licences of the packages bundled into editor.js\n\n" + sections.join("\n" + "=".repeat(72) + "\n\n"),
);
console.log(`editor.js: ${packages.size} packages bundled`);
