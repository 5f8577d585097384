// Writes a brotli (.br, quality 11) and a gzip (.gz, level 9) copy next to each file
// given, for the server to send as they are (tower-http's precompressed files).
// Node's own zlib: no compressor binary to install.
import { readFileSync, writeFileSync } from "node:fs";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

for (const file of process.argv.slice(2)) {
  const raw = readFileSync(file);
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(`${file}.br`, br);
  writeFileSync(`${file}.gz`, gz);
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`${file}: ${kb(raw.length)}, brotli ${kb(br.length)}, gzip ${kb(gz.length)}`);
}
