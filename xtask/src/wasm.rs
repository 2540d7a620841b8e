//! The web app's wasm, split so that a first load fetches only the code Home and Build need
//! (issue 13). trunk builds the page (index.html, CSS, `public/`) and runs this as its
//! `post_build` hook (Trunk.toml: `cargo xtask app-wasm`), which writes into trunk's staging folder
//! before trunk moves it to `dist/`:
//!
//! 1. `cargo build` of the app for wasm32 (release when trunk builds `--release`); the linker keeps
//!    the relocations (`--emit-relocs`, `.cargo/config.toml`), which the split needs;
//! 2. `wasm-split` (the crate `wasm_split_cli_support`, the splitter cargo-leptos uses): every
//!    `#[lazy]` function (`src/pages/on_demand.rs`) and what only it reaches go into
//!    `split_<name>.wasm`, code shared by several of them into `chunk_<n>.wasm`, the rest stays in
//!    the main module, and `__wasm_split.js` loads a chunk when its function is first called;
//! 3. `wasm-bindgen --target web` on the main module (keeping the exports the chunks import),
//!    then the exports no caller uses taken out ([`crate::unexport`]), one helper for the lines
//!    each function returning a string repeats, then short names for everything the main module
//!    imports, in its import section and as the keys of the glue's import objects, and for the
//!    exports the glue reads as `wasm.<name>` ([`imports`]: 11 KB and 0.7 KB of JS esbuild
//!    cannot minify); the chunks import only `__wasm_split` (memory, table, shared items), and
//!    those exports, with the ones the chunks' loader reads by name, keep their names;
//! 4. `wasm-opt -Oz --converge` on the main module and on each chunk (release; [`WASM_OPT`]);
//! 5. every file named with the hash of the cargo output and of xtask ([`build_hash`]: a new
//!    build never meets a cached old file), the chunks fetched as their gzip copies (see
//!    [`LINK_PRELUDE`]);
//! 6. esbuild bundles wasm-bindgen's glue, its snippets and the chunks' loader into one ES module
//!    (minified in release): one request instead of two on a first load, 71 KB of JS down to 33 KB;
//! 7. the page's loader ([`loader`]) written into `index.html`.
//!
//! trunk's own Rust pipeline (`<link data-trunk rel="rust">`) cannot do this: it runs cargo,
//! wasm-bindgen and wasm-opt back to back, and the split has to come between the first two
//! (trunk-rs/trunk#1022).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::imports;
use crate::util::{Cmd, project_root};

/// The cargo package and binary of the web app.
const APP: &str = "space-factory";
const TARGET: &str = "wasm32-unknown-unknown";

/// `cargo xtask app-wasm`: trunk's post_build hook (it sets `TRUNK_STAGING_DIR`, `TRUNK_PROFILE`,
/// `TRUNK_PUBLIC_URL`).
pub fn trunk_hook() -> Result<(), String> {
    let var = |name: &str| {
        std::env::var(name).map_err(|_| {
            format!("app-wasm runs as trunk's post_build hook (Trunk.toml); {name} is not set")
        })
    };
    let staging = PathBuf::from(var("TRUNK_STAGING_DIR")?);
    let release = var("TRUNK_PROFILE")? == "release";
    let base = var("TRUNK_PUBLIC_URL")?;
    build(&staging, release, &base)
}

fn build(out: &Path, release: bool, base: &str) -> Result<(), String> {
    let root = project_root();
    let mut cargo = Cmd::new("cargo").args([
        "build",
        "--locked",
        "--offline",
        "--target",
        TARGET,
        "-p",
        APP,
        "--bin",
        APP,
    ]);
    if release {
        cargo = cargo.arg("--release");
    }
    cargo.current_dir(&root).run()?;
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let profile = if release { "release" } else { "debug" };
    let input = target_dir
        .join(TARGET)
        .join(profile)
        .join(format!("{APP}.wasm"));
    let input_wasm =
        std::fs::read(&input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let hash = build_hash(&input_wasm)?;
    let name = format!("{APP}-{hash}");
    let link_name = format!("__wasm_split-{hash}.js");

    // 2. The split, in a work folder of its own.
    let work = target_dir.join("wasm-split");
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .map_err(|e| format!("cannot clear {}: {e}", work.display()))?;
    }
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let main_split = work.join("main.wasm");
    let link_import = format!("./{link_name}");
    let main_module = format!("./{name}.js");
    println!("$ wasm-split {} {}", input.display(), work.display());
    let split = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(&input_wasm);
        opts.output_dir = &work;
        opts.main_out_path = &main_split;
        opts.link_name = &link_import;
        opts.main_module = &main_module;
        opts
    })
    .map_err(|e| format!("wasm-split failed on {}: {e:?}", input.display()))?;

    // 3. wasm-bindgen on the main module, as trunk ran it, keeping what the chunks import.
    let bindgen = work.join("bindgen");
    Cmd::new("wasm-bindgen")
        .arg("--target=web")
        .arg(format!("--out-dir={}", bindgen.display()))
        .arg(format!("--out-name={name}"))
        .args(["--no-typescript", "--keep-lld-exports", "--no-demangle"])
        .arg(&main_split)
        .run()?;
    let js = format!("{name}.js");
    let main_wasm = format!("{name}_bg.wasm");
    let (glue, bg) = (bindgen.join(&js), bindgen.join(&main_wasm));
    let glue_js =
        std::fs::read_to_string(&glue).map_err(|e| format!("wasm-bindgen wrote no {js}: {e}"))?;
    let bg_wasm =
        std::fs::read(&bg).map_err(|e| format!("wasm-bindgen wrote no {main_wasm}: {e}"))?;
    // The exports no caller uses out ([`crate::unexport`]), then short names ([`imports`]).
    let (glue_js, bg_wasm) = unexport_unused(&glue_js, &bg_wasm)?;
    // One helper for the string returns first: it matches `wasm.__wbindgen_malloc` by name.
    let glue_js = imports::shared_string_returns(&glue_js)?;
    // The exports the chunks' loader and its stub read by name keep their names.
    let link_js = std::fs::read_to_string(work.join(&link_name))
        .map_err(|e| format!("wasm-split wrote no {link_name}: {e}"))?;
    let mut read_elsewhere = imports::exports_read(&link_js)?;
    read_elsewhere.extend(imports::exports_read(&link_stub(&[], &js, &link_name))?);
    let short = imports::shorten(&bg_wasm, &glue_js, &link_import, &read_elsewhere)?;
    std::fs::write(&bg, &short.wasm).map_err(|e| e.to_string())?;
    println!(
        "app-wasm: {} imports and {} exports of the main module renamed",
        imports::wasm_imports(&short.wasm)?.len(),
        short.exports.len()
    );

    // 4. wasm-opt, each module into the output folder under its hashed name.
    let mut chunks = Vec::new();
    let mut jobs = Vec::new();
    for chunk in &split.split_modules {
        let stem = chunk.file_stem().unwrap().to_string_lossy().to_string();
        chunks.push((format!("{stem}.wasm"), format!("{stem}-{hash}.wasm")));
        jobs.push((chunk.clone(), out.join(format!("{stem}-{hash}.wasm"))));
    }
    jobs.push((bindgen.join(&main_wasm), out.join(&main_wasm)));
    optimise_all(&jobs, &target_dir.join("wasm-opt-cache"), release)?;

    // 5. The chunks' loader, a module of its own next to the chunks, fetched when a chunk is first
    // needed; the glue imports a stub of it instead ([`link_stub`]).
    let link_js = link_module(&link_js, &chunks, &short.link)?;
    let exports: Vec<&str> = short.link.iter().map(|(_, s)| s.as_str()).collect();
    std::fs::write(bindgen.join(STUB), link_stub(&exports, &js, &link_name))
        .map_err(|e| e.to_string())?;
    std::fs::write(bindgen.join(&link_name), &link_js).map_err(|e| e.to_string())?;
    // Not bundled: its `import` of the glue stays, and finds the module the page loaded.
    esbuild(
        &bindgen.join(&link_name),
        &out.join(&link_name),
        &["--format=esm"],
        release,
    )?;
    // 6. One ES module: the glue with its snippets and the stub, whose `sfPrefetch` the page
    // reaches as `wasmBindings.sfPrefetch`.
    std::fs::write(&glue, glue_through_stub(&short.glue, &link_name)?)
        .map_err(|e| e.to_string())?;
    bundle(&bindgen.join(&js), &out.join(&js), release)?;
    // 7. The page's loader.
    let index = out.join("index.html");
    let html = std::fs::read_to_string(&index)
        .map_err(|e| format!("cannot read {}: {e}", index.display()))?;
    let html = if release {
        minify_stylesheets(out, &strip_comments_and_indentation(&html))?
    } else {
        html
    };
    let decoder = minify_decoder(&bindgen)?;
    let html = insert_loader(&html, &loader(base, &js, &main_wasm, &decoder))?;
    std::fs::write(&index, html).map_err(|e| e.to_string())?;
    println!(
        "app-wasm: main module {main_wasm}, {} on-demand chunks",
        chunks.len()
    );
    Ok(())
}

/// wasm-bindgen's glue and main module without the exports no caller uses
/// ([`crate::unexport`]): the glue's classes, and the module's exports of them, whose code
/// wasm-opt then drops.
fn unexport_unused(glue: &str, wasm: &[u8]) -> Result<(String, Vec<u8>), String> {
    use crate::unexport::{UNUSED_CLASSES, drop_classes, drop_exports};
    let glue = drop_classes(glue, &UNUSED_CLASSES)?;
    let (wasm, dropped) = drop_exports(wasm, &UNUSED_CLASSES)?;
    println!("app-wasm: {} unused exports taken out", dropped.len());
    Ok((glue, wasm))
}

/// wasm-opt on every module, as many at a time as the machine has cores (26 modules one after
/// another took 13 minutes on a loaded 2-core machine). Each result is kept in `cache` under the
/// hash of its input, so a rebuild whose cargo output did not change (`serve`, `dist`, `bench`,
/// the tests' release folder) runs no wasm-opt at all.
fn optimise_all(jobs: &[(PathBuf, PathBuf)], cache: &Path, release: bool) -> Result<(), String> {
    std::fs::create_dir_all(cache)
        .map_err(|e| format!("cannot create {}: {e}", cache.display()))?;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let errors = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..cores.min(jobs.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((from, to)) = jobs.get(i) else { break };
                    if let Err(e) = optimise_cached(from, to, cache, release) {
                        errors.lock().unwrap().push(e);
                    }
                }
            });
        }
    });
    let errors = errors.into_inner().unwrap();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

fn optimise_cached(from: &Path, to: &Path, cache: &Path, release: bool) -> Result<(), String> {
    if !release {
        return copy(from, to);
    }
    let input = std::fs::read(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    // The flags are part of the key: a change of them must not find the old result.
    let mut key = input;
    key.extend_from_slice(WASM_OPT.join(" ").as_bytes());
    let cached = cache.join(format!("{}.wasm", short_hash(&key)));
    if !cached.is_file() {
        let tmp = cached.with_extension("tmp");
        optimise(from, &tmp)?;
        std::fs::rename(&tmp, &cached).map_err(|e| e.to_string())?;
    }
    copy(&cached, to)
}

/// wasm-opt's flags for every module. For the main module, what a first load fetches as its LZMA
/// copy, `-O2` was measured: it made that copy 1.4 KB
/// smaller (210,563 against 212,005 bytes) but the module 34 KB larger raw (706,719 against
/// 672,543), and the page 20-30 ms slower to become usable on both emulated networks, bench
/// against bench on an idle machine (decoding and compiling the larger module cost more than
/// the bytes saved): `-Oz`. Re-measure with `cargo xtask bench` before changing it.
const WASM_OPT: [&str; 2] = ["-Oz", "--converge"];

fn optimise(from: &Path, to: &Path) -> Result<(), String> {
    Cmd::new("wasm-opt")
        .arg(format!("--output={}", to.display()))
        .args(WASM_OPT)
        .arg(from)
        .run()
        .map_err(|e| {
            format!("{e}\nwasm-opt comes from `cargo xtask setup` (npm binaryen, on trunk's PATH)")
        })
}

/// esbuild: `entry` and every module it imports (wasm-bindgen's snippets, the stub of the chunks'
/// loader, which imports the glue back) as one ES module at `to`, minified in release.
fn bundle(entry: &Path, to: &Path, release: bool) -> Result<(), String> {
    esbuild(entry, to, &["--bundle", "--format=esm"], release)
}

/// esbuild on `from` (with `args`), written to `to`, minified when `minify`.
fn esbuild(from: &Path, to: &Path, args: &[&str], minify: bool) -> Result<(), String> {
    let mut esbuild = Cmd::new("esbuild")
        .arg(from)
        .args(args)
        .arg("--log-level=warning")
        .arg(format!("--outfile={}", to.display()));
    if minify {
        esbuild = esbuild.arg("--minify");
    }
    esbuild.run().map_err(|e| {
        format!("{e}\nesbuild comes from `cargo xtask setup` (npm esbuild, on trunk's PATH)")
    })
}

/// The stub of the chunks' loader that the glue imports (and bundles) in its place.
const STUB: &str = "__wasm_split_stub.js";

/// The chunks' loader is 10 KB of the first load's JS (a loader per chunk) that nothing needs
/// before a view's code is first wanted, which a signed-in Build asks for only when the browser
/// is idle: the glue imports this stub instead, whose functions import the loader itself
/// (`link_name`, next to the bundle) on their first call and hand the call on. When the loader
/// cannot be downloaded, the view's callback is told so, as the loader does for a chunk that
/// cannot be (the app then says it stopped, `src/main.rs`), and the next call tries again.
/// `views` are the names the wasm imports them by, which the loader exports ([`link_module`]).
fn link_stub(views: &[&str], glue: &str, link_name: &str) -> String {
    let mut out = format!(
        "import {{ initSync }} from './{glue}';
let link;
function linked() {{
    if (link === undefined) {{
        link = import(new URL('./{link_name}', import.meta.url).href);
        link.catch(() => {{ link = undefined; }});
    }}
    return link;
}}
function later(name) {{
    return (index, data) => {{
        linked().then(m => m[name](index, data), e => {{
            console.error(e);
            initSync(undefined, undefined).__indirect_function_table.get(index)(data, false);
        }});
    }};
}}
export function sfPrefetch(view) {{
    linked().then(m => m.sfPrefetch(view), () => {{}});
}}
"
    );
    // Under a local name of their own: a short export name could be one of the stub's.
    for name in views {
        out.push_str(&format!("const load_{name} = later('{name}');\n"));
    }
    if !views.is_empty() {
        let list: Vec<String> = views.iter().map(|n| format!("load_{n} as {n}")).collect();
        out.push_str(&format!("export {{ {} }};\n", list.join(", ")));
    }
    out
}

/// wasm-bindgen's glue importing the chunks' loader's stub rather than the loader, and
/// re-exporting its `sfPrefetch`. The import object's keys are the module names the wasm imports
/// from (short ones, [`imports::shorten`]): not changed here.
fn glue_through_stub(glue: &str, link_name: &str) -> Result<String, String> {
    let from = format!(" from \"./{link_name}\"");
    let mut imports = 0;
    let mut out = String::with_capacity(glue.len());
    for line in glue.split_inclusive('\n') {
        if line.starts_with("import ") && line.trim_end().trim_end_matches(';').ends_with(&from) {
            imports += 1;
            out.push_str(&line.replace(&from, &format!(" from \"./{STUB}\"")));
        } else {
            out.push_str(line);
        }
    }
    if imports == 0 {
        return Err(format!(
            "wasm-bindgen's glue does not import {link_name}: has its output changed?"
        ));
    }
    out.push_str(&format!("\nexport {{ sfPrefetch }} from './{STUB}';\n"));
    Ok(out)
}

/// The page's stylesheets minified by esbuild in `out` (2.5 KB less of a first load when the host
/// does not compress), and `html` with each one's `integrity` (trunk's sha384) made true again.
/// trunk's own `minify = "on_release"` would do the CSS too, but its HTML minifier drops the
/// `<head>` tag the Hub injects its script after (README, *Size*).
fn minify_stylesheets(out: &Path, html: &str) -> Result<String, String> {
    let mut html = html.to_string();
    for (href, integrity) in stylesheets(&html) {
        let file = out.join(href.trim_start_matches("./"));
        let before =
            std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        esbuild(&file, &file.with_extension("min.css"), &[], true)?;
        std::fs::rename(file.with_extension("min.css"), &file).map_err(|e| e.to_string())?;
        let after = std::fs::read(&file).map_err(|e| e.to_string())?;
        if let Some(old) = integrity {
            if old != sri_sha384(&before) {
                return Err(format!(
                    "{href}'s integrity is not its sha384: has trunk changed?"
                ));
            }
            html = html.replace(&old, &sri_sha384(&after));
        }
    }
    Ok(html)
}

/// Each `<link rel="stylesheet">` of `html`: its local `href` and its `integrity`, if any.
fn stylesheets(html: &str) -> Vec<(String, Option<String>)> {
    let attr = |tag: &str, name: &str| {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(tag[at..at + tag[at..].find('"')?].to_string())
    };
    html.split("<link ")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            (tag.contains("rel=\"stylesheet\"")).then_some(())?;
            let href = attr(tag, "href").filter(|h| !h.contains("://"))?;
            Some((href, attr(tag, "integrity")))
        })
        .collect()
}

/// A subresource integrity value, as trunk writes it.
fn sri_sha384(bytes: &[u8]) -> String {
    use base64::Engine;
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(bytes))
    )
}

/// The page's LZMA decoder (`lzma.js`), minified by esbuild in `work`: it goes in the page's
/// first script, so every byte of it is on the wire before the wasm's first byte is decoded.
pub fn minify_decoder(work: &Path) -> Result<String, String> {
    let (from, to) = (work.join("lzma.js"), work.join("lzma.min.js"));
    std::fs::write(&from, LZMA_JS).map_err(|e| format!("cannot write {}: {e}", from.display()))?;
    // A classic script's function: as an ES module, the minifier would rename `sfLzma`.
    esbuild(&from, &to, &[], true)?;
    let js = std::fs::read_to_string(&to)
        .map_err(|e| format!("esbuild wrote no {}: {e}", to.display()))?;
    Ok(js.trim().to_string())
}

/// The page's LZMA decoder, readable; [`minify_decoder`] shrinks it for the page.
const LZMA_JS: &str = include_str!("lzma.js");

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

/// The name every file of a build carries: the hash of the cargo output and of this xtask, which
/// turns it into the files (wasm-split, the short import names, the loaders). A change to either
/// gives new names, so a browser never pairs a cached file of an older build with a newer one
/// (the glue of one and the wasm of another would not agree on the import names).
fn build_hash(input_wasm: &[u8]) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find xtask's program: {e}"))?;
    let xtask = std::fs::read(&exe).map_err(|e| format!("cannot read {}: {e}", exe.display()))?;
    Ok(short_hash(&[input_wasm, &xtask].concat()))
}

/// The first 16 hex digits of the sha256 of `bytes`.
pub(crate) fn short_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Put before the code wasm-split generates: its chunk loaders fetch through [`sfFetch`] and
/// instantiate through [`sfInstantiate`] (the two names below replace `fetch` and
/// `WebAssembly.instantiateStreaming` in its loaders), and each view's loader is registered by
/// [`sfView`] under the view's name (the `#[lazy]` function's, without wasm-split's hash), for
/// `sfPrefetch(view)`: the app starts loading a view's code before it is opened
/// (`src/pages/on_demand.rs`, `prefetch_when`). The loaders are memoised (a later call of the
/// view finds its code there) and forget a failure, so a failed prefetch costs nothing. A chunk is fetched as its gzip copy
/// (`<chunk>.wasm.gz`, written by `cargo xtask build-app`) and decompressed by the browser's
/// `DecompressionStream`, as the page's loader does for the main module, so it costs its gzip
/// size whether or not the host compresses; without `DecompressionStream`, or when that copy is
/// missing or was already decoded by the host, the plain `.wasm` is loaded.
const LINK_PRELUDE: &str = "\
const sfGzip = (() => { try { new DecompressionStream('gzip'); return true; } catch (e) { return false; } })();
function sfFetch(url) {
    if (!sfGzip) return fetch(url).then(r => ({ response: r, url: null }));
    return fetch(url + '.gz').then(r => {
        if (!r.ok) throw new Error(url + '.gz: HTTP ' + r.status);
        const body = r.body.pipeThrough(new DecompressionStream('gzip'));
        return { response: new Response(body, { headers: { 'Content-Type': 'application/wasm' } }), url };
    }, () => fetch(url).then(r => ({ response: r, url: null })));
}
const sfViews = {};
function sfView(name, load) {
    sfViews[name.replace(/_[0-9]+$/, '')] = load;
    return wrapAsyncCb(load);
}
export function sfPrefetch(view) {
    const load = sfViews[view];
    if (load) load().catch(() => {});
    return load !== undefined;
}
async function sfInstantiate(src, imports) {
    const { response, url } = await src;
    if (url === null) return WebAssembly.instantiateStreaming(response, imports);
    try {
        return await WebAssembly.instantiateStreaming(response, imports);
    } catch (e) {
        console.warn('Space Factory: the compressed chunk ' + url + ' did not load (' + e + '); loading it uncompressed');
        return WebAssembly.instantiateStreaming(fetch(url), imports);
    }
}
";

/// wasm-split's link module with the chunks under their hashed names, fetched compressed, and
/// each view's loader exported under the name the main module imports it by (`views`: wasm-split's
/// name, the short one from [`imports::shorten`]; a loader the wasm does not import keeps its name).
fn link_module(
    js: &str,
    chunks: &[(String, String)],
    views: &[(String, String)],
) -> Result<String, String> {
    let mut js = js.to_string();
    for (plain, hashed) in chunks {
        let (from, to) = (format!("\"./{plain}\""), format!("\"./{hashed}\""));
        if !js.contains(&from) {
            return Err(format!(
                "wasm-split's loader does not name {plain}: has its output changed?"
            ));
        }
        js = js.replace(&from, &to);
    }
    for (from, to) in [
        ("fetch(new URL(", "sfFetch(new URL("),
        (
            "WebAssembly.instantiateStreaming(src, imports)",
            "sfInstantiate(src, imports)",
        ),
    ] {
        if !chunks.is_empty() && !js.contains(from) {
            return Err(format!(
                "wasm-split's loader has no `{from}` to replace: has its output changed?"
            ));
        }
        js = js.replace(from, to);
    }
    // Each view's loader, registered for `sfPrefetch` and exported under its short name.
    let mut found = 0;
    let mut exports = Vec::new();
    let mut out = String::with_capacity(js.len());
    for line in js.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("export const __wasm_split_load_")
            && let Some((name, tail)) = rest.split_once(" = wrapAsyncCb(makeLoad(")
        {
            found += 1;
            let full = format!("__wasm_split_load_{name}");
            let register = format!("sfView(\"{name}\", makeLoad({tail}");
            match views.iter().find(|(long, _)| *long == full) {
                Some((_, short)) => {
                    exports.push(format!("{full} as {short}"));
                    out.push_str(&format!("const {full} = {register}"));
                }
                None => out.push_str(&format!("export const {full} = {register}")),
            }
        } else {
            out.push_str(line);
        }
    }
    if !chunks.is_empty() && found == 0 {
        return Err(
            "wasm-split's loader has no `export const __wasm_split_load_… = wrapAsyncCb(makeLoad(` \
             to register: has its output changed?"
                .into(),
        );
    }
    if exports.len() != views.len() {
        let missing: Vec<&str> = views
            .iter()
            .map(|(long, _)| long.as_str())
            .filter(|long| !js.contains(&format!("export const {long} = wrapAsyncCb(makeLoad(")))
            .collect();
        return Err(format!(
            "the main module imports {} from the chunks' loader, which does not export it as \
             `export const … = wrapAsyncCb(makeLoad(`: has wasm-split's output changed?",
            missing.join(", ")
        ));
    }
    let mut js = out;
    if !exports.is_empty() {
        if !js.ends_with('\n') {
            js.push('\n');
        }
        js.push_str(&format!("export {{ {} }};\n", exports.join(", ")));
    }
    // After its `import` line, which must stay first.
    let at = js.find('\n').map_or(0, |i| i + 1);
    js.insert_str(at, LINK_PRELUDE);
    Ok(js)
}

/// The page's loader (it was Trunk.toml's `pattern_preload`/`pattern_script` when trunk built the
/// wasm): the main module is fetched as its LZMA copy (`<wasm>.lzma`, written by `cargo xtask
/// build-app`), which `decoder` (the minified [`LZMA_JS`]) decodes while it downloads, handing the
/// compiler the wasm as it arrives; so the bytes on the wire do not depend on whether the host
/// compresses, and are about 18 % fewer than a zopfli gzip copy's (the browser's
/// `DecompressionStream` has only gzip and deflate: Chromium 156 refuses 'brotli' and 'zstd').
/// The fetch starts in `<head>`, in parallel with the JS (a module preload). When the LZMA copy
/// is missing or does not decode, the plain `.wasm` is loaded. The start event keeps trunk's name.
pub fn loader(base: &str, js: &str, wasm: &str, decoder: &str) -> String {
    format!(
        r#"<script>(()=>{{{decoder}const w='{base}{wasm}.lzma';const p=fetch(w).then(r=>{{if(!r.ok)throw new Error(w+': HTTP '+r.status);const d=sfLzma(),i=r.body.getReader();return new Response(new ReadableStream({{start(c){{(async()=>{{for(;;){{const{{done:e,value:v}}=await i.read();if(e)break;const o=d.push(v);if(o.length)c.enqueue(o)}}const o=d.end();if(o.length)c.enqueue(o);c.close()}})().catch(e=>c.error(e))}}}}),{{headers:{{'Content-Type':'application/wasm'}}}})}});p.catch(()=>{{}});window.__sfWasm=p}})();</script>
<link rel="modulepreload" href="{base}{js}" crossorigin="anonymous">
<script type="module">import init,*as bindings from'{base}{js}';let app;try{{app=await init({{module_or_path:window.__sfWasm}})}}catch(e){{console.warn('Space Factory: the compressed app did not load ('+e+'); loading it uncompressed');app=await init({{module_or_path:fetch('{base}{wasm}')}})}}window.wasmBindings=bindings;dispatchEvent(new CustomEvent('TrunkApplicationStarted',{{detail:{{wasm:app}}}}))</script>
"#
    )
}

/// `html` without its comments and the indentation of its lines (about 0.9 KB of a first load
/// that a host not compressing would send as they are; trunk's own HTML minifier drops `<head>`).
/// What a `<script>`, `<style>`, `<pre>` or `<textarea>` holds is kept byte for byte: whitespace
/// counts there, and the policy's hashes cover the scripts.
fn strip_comments_and_indentation(html: &str) -> String {
    const KEEP: [&str; 4] = ["script", "style", "pre", "textarea"];
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let squeeze = |text: &str, out: &mut String| {
        let mut text = text.to_string();
        while let Some(start) = text.find("<!--") {
            let end = text[start..]
                .find("-->")
                .map_or(text.len(), |i| start + i + 3);
            text.replace_range(start..end, "");
        }
        for (i, line) in text.split('\n').enumerate() {
            let line = if i == 0 { line } else { line.trim_start() };
            if i > 0 && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(line);
        }
    };
    loop {
        let lower = rest.to_ascii_lowercase();
        // `<pre` and not `<preview`: the tag's name ends where a letter or digit does not follow.
        let opens = |tag: &str| {
            let open = format!("<{tag}");
            lower.match_indices(&open).map(|(at, _)| at).find(|at| {
                !lower[at + open.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
            })
        };
        let next = KEEP
            .iter()
            .filter_map(|tag| opens(tag).map(|at| (at, *tag)))
            .min();
        let Some((at, tag)) = next else {
            squeeze(rest, &mut out);
            break;
        };
        squeeze(&rest[..at], &mut out);
        let close = format!("</{tag}>");
        let end = lower[at..]
            .find(&close)
            .map_or(rest.len(), |i| at + i + close.len());
        out.push_str(&rest[at..end]);
        rest = &rest[end..];
    }
    out
}

/// `html` with `loader` in place of the `<link data-trunk rel="rust" …>` tag (trunk leaves it in,
/// marked `data-trunk-skip`): index.html puts it before the stylesheet, because an inline script
/// after a stylesheet waits for it, and the loader's first script starts the wasm's download.
/// After the stylesheet, that download began one round trip later (150 ms on the bench's phone
/// networks).
fn insert_loader(html: &str, loader: &str) -> Result<String, String> {
    let at = html.find("<link data-trunk rel=\"rust\"").ok_or(
        "index.html has no <link data-trunk rel=\"rust\" data-trunk-skip /> to put the app's loader in",
    )?;
    let end = html[at..]
        .find('>')
        .map(|i| at + i + 1)
        .ok_or("index.html's <link data-trunk rel=\"rust\"> tag is not closed")?;
    if html[..at].contains("rel=\"stylesheet\"") {
        return Err(
            "index.html has a stylesheet before <link data-trunk rel=\"rust\">: the app's loader \
             would wait for it"
                .into(),
        );
    }
    Ok(format!(
        "{}{}{}",
        &html[..at],
        loader.trim_end(),
        &html[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loses_comments_and_indentation_but_not_what_scripts_hold() {
        let html = "<!DOCTYPE html>\n<html>\n  <head>\n    <!-- a comment\n         on lines -->\n    <title>T</title>\n    <script>\n  if (a <!--b) x();\n    </script>\n  </head>\n  <body>\n    <pre>\n  kept\n</pre>\n    <p>Hello\n      world <!-- x --></p>\n    <preview>\n      x</preview>\n  </body>\n</html>\n";
        assert_eq!(
            strip_comments_and_indentation(html),
            "<!DOCTYPE html>\n<html>\n<head>\n<title>T</title>\n<script>\n  if (a <!--b) x();\n    </script>\n</head>\n<body>\n<pre>\n  kept\n</pre>\n<p>Hello\nworld </p>\n<preview>\nx</preview>\n</body>\n</html>\n"
        );
    }

    const SPLIT_JS: &str = "import { initSync } from \"./space-factory-0123.js\";\n\
        const __chunk_3 = makeLoad(() => {\n    const src = fetch(new URL(\"./chunk_3.wasm\", import.meta.url));\n    src.catch(() => {});\n    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n}\n, []);\n\
        export const __wasm_split_load_about_1 = wrapAsyncCb(makeLoad(() => {\n    const src = fetch(new URL(\"./split_about_1.wasm\", import.meta.url));\n    src.catch(() => {});\n    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n}\n, [__chunk_3]));\n";

    #[test]
    fn chunks_are_renamed_and_fetched_through_the_gzip_loader() {
        let chunks = [
            ("chunk_3.wasm".to_string(), "chunk_3-0123.wasm".to_string()),
            (
                "split_about_1.wasm".to_string(),
                "split_about_1-0123.wasm".to_string(),
            ),
        ];
        let views = [("__wasm_split_load_about_1".to_string(), "a".to_string())];
        let js = link_module(SPLIT_JS, &chunks, &views).unwrap();
        assert!(js.starts_with("import { initSync } from \"./space-factory-0123.js\";\n"));
        assert!(js.contains("sfFetch(new URL(\"./chunk_3-0123.wasm\", import.meta.url))"));
        assert!(js.contains("sfFetch(new URL(\"./split_about_1-0123.wasm\", import.meta.url))"));
        assert!(!js.contains("\"./chunk_3.wasm\"") && !js.contains(" fetch(new URL"));
        assert_eq!(js.matches("(sfInstantiate(src, imports))").count(), 2);
        assert!(js.contains("function sfFetch(url)"));
        // The view's loader is registered for a prefetch under the view's name; a chunk is not.
        assert!(js.contains(
            "\nconst __wasm_split_load_about_1 = sfView(\"about_1\", makeLoad(() => {\n"
        ));
        assert!(js.contains("const __chunk_3 = makeLoad("));
        assert!(!js.contains("wrapAsyncCb(makeLoad("));
        assert!(js.contains("export function sfPrefetch(view)"));
        // Exported under the name the main module imports it by, and only under that one.
        assert!(js.ends_with("\nexport { __wasm_split_load_about_1 as a };\n"));
        assert!(!js.contains("export const __wasm_split_load_about_1"));
        // A loader the main module does not import keeps its own name.
        let js = link_module(SPLIT_JS, &chunks, &[]).unwrap();
        assert!(js.contains(
            "\nexport const __wasm_split_load_about_1 = sfView(\"about_1\", makeLoad(() => {\n"
        ));
        assert!(!js.contains(" as a"));
    }

    #[test]
    fn a_loader_that_no_longer_names_a_chunk_or_a_view_the_wasm_imports_is_an_error() {
        let chunks = [("split_runs_2.wasm".to_string(), "x.wasm".to_string())];
        assert!(
            link_module(SPLIT_JS, &chunks, &[])
                .unwrap_err()
                .contains("split_runs_2.wasm")
        );
        let views = [
            ("__wasm_split_load_about_1".to_string(), "a".to_string()),
            ("__wasm_split_load_runs_2".to_string(), "b".to_string()),
        ];
        let e = link_module(SPLIT_JS, &[], &views).unwrap_err();
        assert!(
            e.contains("imports __wasm_split_load_runs_2 from the chunks' loader"),
            "{e}"
        );
    }

    #[test]
    fn the_glue_imports_a_stub_that_loads_the_chunks_loader_on_first_call() {
        let stub = link_stub(&["a", "b"], "app-h.js", "__wasm_split-h.js");
        assert!(stub.starts_with("import { initSync } from './app-h.js';"));
        // Each view the wasm imports, under the same name as the loader's export it calls.
        assert!(stub.contains("\nconst load_a = later('a');\nconst load_b = later('b');\n"));
        assert!(stub.ends_with("\nexport { load_a as a, load_b as b };\n"));
        // Fetched at run time, next to the bundle, never bundled in.
        assert!(stub.contains("import(new URL('./__wasm_split-h.js', import.meta.url).href)"));
        assert!(stub.contains("export function sfPrefetch(view)"));
        // The one export it reads by name, which keeps its name ([`imports::shorten`]).
        assert_eq!(
            imports::exports_read(&stub).unwrap(),
            ["__indirect_function_table"]
        );
        assert!(!link_stub(&[], "app-h.js", "l.js").contains("export {"));
        let glue = "import * as import1 from \"./__wasm_split-h.js\"\nimport * as import2 from \"./snippets/x.js\"\nconst imports = { \"b\": import1 };\n";
        let out = glue_through_stub(glue, "__wasm_split-h.js").unwrap();
        assert!(out.starts_with("import * as import1 from \"./__wasm_split_stub.js\"\n"));
        assert!(out.contains("from \"./snippets/x.js\""));
        // The wasm's import module keeps its (short) name.
        assert!(out.contains("{ \"b\": import1 }"));
        assert!(out.ends_with("export { sfPrefetch } from './__wasm_split_stub.js';\n"));
        assert!(glue_through_stub("import x from \"./y.js\"\n", "__wasm_split-h.js").is_err());
    }

    #[test]
    fn stylesheets_are_found_with_their_integrity() {
        let html = "<head><link rel=\"icon\" href=\"x.svg\"/><link rel=\"stylesheet\" href=\"./main-1.css\" integrity=\"sha384-abc\"/><link rel=\"stylesheet\" href=\"https://cdn/x.css\"/><link rel=\"stylesheet\" href=\"b.css\"></head>";
        assert_eq!(
            stylesheets(html),
            vec![
                ("./main-1.css".to_string(), Some("sha384-abc".to_string())),
                ("b.css".to_string(), None)
            ]
        );
        // The value browsers check: sha384 of the bytes, base64.
        assert_eq!(
            sri_sha384(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
    }

    #[test]
    fn the_loader_goes_before_the_stylesheet_and_names_every_file() {
        let html = "<html><head>\n    <title>t</title>\n    <link data-trunk rel=\"rust\" data-trunk-skip data-trunk-id=\"0\" />\n    <link rel=\"stylesheet\" href=\"./main-1.css\"/>\n  </head><body></body></html>";
        let loader = loader("./", "app-1.js", "app-1_bg.wasm", "function sfLzma(){}");
        let out = insert_loader(html, &loader).unwrap();
        let head = &out[..out.find("</head>").unwrap()];
        // The LZMA copy first, with its decoder; the plain wasm when it does not load.
        let first = &head[..head.find("</script>").unwrap()];
        assert!(first.contains("function sfLzma(){}") && first.contains("'./app-1_bg.wasm.lzma'"));
        for name in ["fetch('./app-1_bg.wasm')", "./app-1.js"] {
            assert!(head.contains(name), "{name}: {out}");
        }
        assert!(head.find("<title>").unwrap() < head.find("<script>").unwrap());
        // Every script of the loader comes before the stylesheet, which would hold them back.
        assert!(head.rfind("</script>").unwrap() < head.find("rel=\"stylesheet\"").unwrap());
        assert!(!out.contains("data-trunk"));
        assert!(insert_loader("<html><head></head></html>", &loader).is_err());
        let css_first = "<head><link rel=\"stylesheet\" href=\"a.css\"><link data-trunk rel=\"rust\" data-trunk-skip /></head>";
        assert!(
            insert_loader(css_first, &loader)
                .unwrap_err()
                .contains("stylesheet")
        );
    }
}
