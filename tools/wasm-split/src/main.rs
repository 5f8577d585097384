//! `wasm-split <in.wasm> <pkg dir> <main out.wasm> <output name>`: cuts the code only
//! lazy routes reach out of the browser bundle into chunks loaded on first use, and
//! writes the manifest Leptos' `HydrationScripts` reads to preload a page's chunks.
//! Run on cargo's output (it needs the relocations of `-C link-args=--emit-relocs`),
//! before wasm-bindgen, which then runs on the main module only.

use std::path::{Path, PathBuf};

fn main() -> eyre::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, pkg, main_out, name] = args.as_slice() else {
        eyre::bail!("usage: wasm-split <in.wasm> <pkg dir> <main out.wasm> <output name>");
    };
    let bytes = std::fs::read(input)?;
    let pkg = Path::new(pkg);
    let main_out = PathBuf::from(main_out);
    let main_module = format!("./{name}.js");
    let mut options = wasm_split_cli_support::Options::new(&bytes);
    options.output_dir = pkg;
    options.main_out_path = main_out.as_path();
    options.main_module = main_module.as_str();
    // The loader's name Leptos' hydration script imports (hash_files off).
    options.link_name = "./__wasm_split.______________________.js";
    let split = wasm_split_cli_support::transform(options)?;
    std::fs::write(
        pkg.join("__wasm_split_manifest.json"),
        serde_json::to_string_pretty(&split.prefetch_map)?,
    )?;
    for module in split.split_modules {
        println!("{}", module.display());
    }
    Ok(())
}
